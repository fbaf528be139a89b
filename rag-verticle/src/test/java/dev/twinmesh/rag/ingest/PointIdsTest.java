package dev.twinmesh.rag.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class PointIdsTest {
  @Test
  void theSameAuthorAndContentAlwaysGiveTheSameUuid() {
    String id = PointIds.pointId("ada", "text");
    assertEquals(id, PointIds.pointId("ada", "text"));
    assertEquals(5, UUID.fromString(id).version());
    assertNotEquals(id, PointIds.pointId("alan", "text"));
    assertNotEquals(id, PointIds.pointId("ada", "text!"));
  }
}
