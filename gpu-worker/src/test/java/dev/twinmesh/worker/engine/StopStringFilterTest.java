package dev.twinmesh.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringFilterTest {

  @Test
  void aStopStringSplitAcrossTokensNeverLeaks() {
    StopStringFilter filter = new StopStringFilter(List.of("###"));
    StringBuilder sent = new StringBuilder();
    for (String piece : List.of("Hello", " wor", "ld#", "#", "# more")) {
      sent.append(filter.accept(piece));
    }
    assertTrue(filter.stopped());
    assertEquals("Hello world", sent.toString());
  }

  @Test
  void aFalseStartIsReleasedOnceItCannotBeAStop() {
    StopStringFilter filter = new StopStringFilter(List.of("STOP"));
    assertEquals("a", filter.accept("aST"));
    assertEquals("STx", filter.accept("x"));
    assertFalse(filter.stopped());
  }

  @Test
  void heldTextIsFlushedWhenTheSequenceEndsOtherwise() {
    StopStringFilter filter = new StopStringFilter(List.of("\n\n"));
    assertEquals("line", filter.accept("line\n"));
    assertEquals("\n", filter.flush());
  }

  @Test
  void theEarliestOfSeveralStopsWins() {
    StopStringFilter filter = new StopStringFilter(List.of("bb", "a"));
    assertEquals("x", filter.accept("xabb"));
    assertTrue(filter.stopped());
    assertEquals("", filter.accept("more"));
  }
}
