package dev.twinmesh.app;

import io.vertx.core.Vertx;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Keeps a standalone service running until Ctrl-C, then closes its parts and Vert.x. */
final class ServiceRunner {
  private ServiceRunner() {}

  static int runUntilStopped(Vertx vertx, AutoCloseable... parts) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (AutoCloseable part : parts) {
        try {
          part.close();
        } catch (Exception e) {
          System.err.println("while stopping: " + e);
        }
      }
      try {
        vertx.close().await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("Vert.x did not close in time: " + e);
      }
      stopped.countDown();
    }, "twin-mesh-shutdown"));
    stopped.await();
    return 0;
  }
}
