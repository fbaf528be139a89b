package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.TraceRecord;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two workers behind one gateway: streams spread over both, and when one worker dies mid-answer its
 * client gets an in-stream error promptly while the next requests go to the worker that is left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkerFailoverTest {
  private static final String LONG_STREAM = "{\"model\":\"twin\",\"stream\":true,\"temperature\":0,\"max_tokens\":1900,"
      + "\"ignore_eos\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Write at length\"}]}";
  private static final String SHORT_CHAT = "{\"model\":\"twin\",\"max_tokens\":6,\"ignore_eos\":true,"
      + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  static TestMesh mesh;
  static String gateway;

  @BeforeAll
  static void start() {
    mesh = TestMesh.start(2, TestMesh.runtime());
    gateway = mesh.gateway(TestMesh.limits(64, 64), Set.of(), 1 << 20);
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  @Order(1)
  void twoStreamsGoToTwoWorkers() throws Exception {
    try (RawSse a = RawSse.post(gateway + "/v1/chat/completions", LONG_STREAM);
         RawSse b = RawSse.post(gateway + "/v1/chat/completions", LONG_STREAM)) {
      assertNotNull(a.nextEvent());
      assertNotNull(b.nextEvent());
      // The first event (the role) leaves a worker when it accepts the request, before its engine has
      // scheduled it: wait for each worker to be running one stream. Both on one worker never gets there.
      for (int i = 0; i < 2; i++) {
        mesh.awaitLoad(i, load -> load.getInteger("running") == 1 && load.getInteger("waiting") == 0,
            Duration.ofSeconds(5), "the least busy worker takes each stream: worker " + i + " runs one");
      }
    }
    for (int i = 0; i < 2; i++) {
      int worker = i;
      mesh.awaitLoad(worker, load -> load.getInteger("running") == 0, Duration.ofSeconds(5), "worker " + i + " is idle");
    }
  }

  @Test
  @Order(2)
  void aWorkerStoppedMidStreamGivesAnInStreamErrorWithinTwoSecondsAndTheOtherTakesOver() throws Exception {
    RawSse stream = RawSse.post(gateway + "/v1/chat/completions", LONG_STREAM);
    assertEquals(200, stream.status);
    String traceId = stream.headers.get("x-twin-trace-id");
    for (int i = 0; i < 5; i++) {
      assertNotNull(stream.nextEvent());
    }
    int serving = mesh.running(0) == 1 ? 0 : 1;
    int other = 1 - serving;
    assertEquals(1, mesh.running(serving));

    long stoppedAt = System.nanoTime();
    CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> mesh.stopWorker(serving));
    List<String> rest = new ArrayList<>();
    String event;
    String errorEvent = null;
    long errorAt = 0;
    while ((event = stream.nextEvent()) != null) {
      rest.add(event);
      if (event.startsWith("data: {\"error\"")) {
        errorAt = System.nanoTime();
        errorEvent = event;
      }
    }
    stream.close();
    stopping.get(1, TimeUnit.MINUTES);

    assertNotNull(errorEvent, "the client learns its answer broke off: " + tail(rest));
    long errorMs = (errorAt - stoppedAt) / 1_000_000;
    assertTrue(errorMs < 2000, "the error event came " + errorMs + " ms after the worker was stopped");
    assertEquals("data: [DONE]", rest.get(rest.size() - 1), "then the stream ends properly");
    assertEquals(errorEvent, rest.get(rest.size() - 2));
    JsonObject error = new JsonObject(errorEvent.substring(6)).getJsonObject("error");
    assertTrue(error.getString("type").equals("server_error"), error.encode());

    TraceRecord broken = mesh.trace(traceId);
    assertEquals(TraceRecord.STATUS_FAILED, broken.status());
    assertEquals(mesh.workerId(serving), broken.workerId());

    for (int i = 0; i < 4; i++) {
      HttpResponse<String> next = MeshHttp.post(gateway + "/v1/chat/completions", SHORT_CHAT);
      assertEquals(200, next.statusCode(), "request " + i + " after the failure: " + next.body());
      String id = new JsonObject(next.body()).getString("id").substring("chatcmpl-".length());
      assertEquals(mesh.workerId(other), mesh.trace(id).workerId(), "request " + i + " is served by the live worker");
    }
  }

  private static List<String> tail(List<String> events) {
    return events.subList(Math.max(0, events.size() - 3), events.size());
  }
}
