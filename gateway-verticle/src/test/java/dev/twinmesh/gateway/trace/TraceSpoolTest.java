package dev.twinmesh.gateway.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceSpoolTest {
  @TempDir Path dir;

  @Test
  void oldestComeFirstAndRemovedOnesAreGone() {
    TraceSpool spool = new TraceSpool(dir, 100, 1 << 20);
    for (int i = 0; i < 5; i++) {
      spool.append("key-" + i, "{\"n\":" + i + "}");
    }
    List<TraceSpool.Entry> oldest = spool.oldest(2, Set.of());
    assertEquals(List.of("key-0", "key-1"), oldest.stream().map(TraceSpool.Entry::key).toList());
    assertEquals("{\"n\":0}", oldest.get(0).value());
    spool.remove(oldest.get(0).sequence());
    assertEquals("key-2", spool.oldest(1, Set.of(oldest.get(1).sequence())).get(0).key());
    assertEquals(4, spool.size());
  }

  @Test
  void overTheBoundTheOldestAreDroppedAndCounted() {
    TraceSpool spool = new TraceSpool(dir, 3, 1 << 20);
    for (int i = 0; i < 10; i++) {
      spool.append("key-" + i, "value with a newline\n and unicode \u00e9 " + i);
    }
    assertEquals(3, spool.size());
    assertEquals(7, spool.droppedCount());
    assertEquals(List.of("key-7", "key-8", "key-9"), spool.oldest(10, Set.of()).stream().map(TraceSpool.Entry::key).toList());
  }

  @Test
  void byteBoundDropsOldestToo() {
    TraceSpool spool = new TraceSpool(dir, 1000, 250);
    for (int i = 0; i < 10; i++) {
      spool.append("k" + i, "x".repeat(100));
    }
    assertEquals(2, spool.size());
    assertEquals(8, spool.droppedCount());
  }

  @Test
  void aSecondSpoolOnADirectoryInUseIsRefused() {
    TraceSpool first = new TraceSpool(dir, 100, 1 << 20);
    IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> new TraceSpool(dir, 100, 1 << 20));
    org.junit.jupiter.api.Assertions.assertTrue(refused.getMessage().contains("in use"));
    first.close();
    new TraceSpool(dir, 100, 1 << 20).close();
  }

  @Test
  void aNewSpoolOnTheSameDirectoryPicksUpWhatWasLeft() throws Exception {
    TraceSpool first = new TraceSpool(dir, 100, 1 << 20);
    first.append("left-1", "{}");
    first.append("left-2", "{}");
    first.close();
    Files.writeString(dir.resolve("99.tmp"), "torn write");
    TraceSpool second = new TraceSpool(dir, 100, 1 << 20);
    assertEquals(2, second.size());
    second.append("new-3", "{}");
    assertEquals(List.of("left-1", "left-2", "new-3"), second.oldest(10, Set.of()).stream().map(TraceSpool.Entry::key).toList());
    assertEquals(false, Files.exists(dir.resolve("99.tmp")));
  }
}
