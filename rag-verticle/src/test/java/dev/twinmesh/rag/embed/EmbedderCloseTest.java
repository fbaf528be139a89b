package dev.twinmesh.rag.embed;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Shutting down while retrievals still embed must not free the native session under them. */
class EmbedderCloseTest {

  @Test
  void closingWhileEmbeddingWaitsAndLaterCallsFailCleanly() throws Exception {
    BgeSmallEmbedder embedder = BgeSmallEmbedder.load();
    AtomicInteger embedded = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    CountDownLatch running = new CountDownLatch(3);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      Thread thread = new Thread(() -> {
        running.countDown();
        for (int i = 0; i < 200; i++) {
          try {
            embedder.embed(List.of("a question about retrieval number " + i, "and its context"));
            embedded.incrementAndGet();
          } catch (IllegalStateException closed) {
            refused.incrementAndGet();
            return;
          }
        }
      });
      thread.start();
      threads.add(thread);
    }
    running.await();
    Thread.sleep(100);
    embedder.close();
    for (Thread thread : threads) {
      thread.join(60_000);
    }
    assertTrue(embedded.get() > 0, "some embeddings ran before the close");
    assertTrue(refused.get() > 0 || embedded.get() == 600, "the rest were refused, not crashed");
    assertThrows(IllegalStateException.class, () -> embedder.embed(List.of("after close")));
  }
}
