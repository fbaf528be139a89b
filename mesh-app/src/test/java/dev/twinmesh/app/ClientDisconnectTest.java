package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.gateway.GatewayConfig;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that goes away takes its generation with it: the gateway cancels the upstream request and
 * the worker stops generating and frees the sequence, as its {@code /info} load shows.
 */
class ClientDisconnectTest {
  /** Long enough (ignore_eos, many tokens) that it is still generating when the client leaves. */
  private static final String LONG_CHAT = "{\"model\":\"twin\",\"stream\":%s,\"temperature\":0,\"max_tokens\":1900,"
      + "\"ignore_eos\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Write a long essay about RAG\"}]}";

  private static final String LONG_COMPLETION = "{\"model\":\"twin\",\"stream\":%s,\"temperature\":0,"
      + "\"max_tokens\":1900,\"ignore_eos\":true,\"prompt\":\"Once upon a time\"}";

  static TestMesh mesh;
  static String gateway;
  /** Health probes too rare to matter within a test: only what requests do moves the worker in or out. */
  static String rarelyProbed;

  @BeforeAll
  static void start() {
    mesh = TestMesh.start(1, TestMesh.runtime());
    gateway = mesh.gateway();
    rarelyProbed = mesh.gateway(new GatewayConfig.Limits(64, 64, Duration.ofMinutes(5), 3, Duration.ofSeconds(5)),
        Set.of(), GatewayConfig.DEFAULT_MAX_BODY_BYTES);
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @AfterEach
  void workerIsIdleAgain() throws InterruptedException {
    mesh.awaitLoad(0, load -> load.getInteger("running") == 0 && load.getInteger("waiting") == 0,
        Duration.ofSeconds(30), "the worker is idle");
  }

  @Test
  void closingTheStreamMidAnswerStopsTheWorkersGeneration() throws Exception {
    RawSse stream = RawSse.post(gateway + "/v1/chat/completions", LONG_CHAT.formatted(true));
    assertEquals(200, stream.status);
    String traceId = stream.headers.get("x-twin-trace-id");
    for (int i = 0; i < 5; i++) {
      assertNotNull(stream.nextEvent(), "the answer is streaming");
    }
    assertEquals(1, mesh.running(0), "the worker is generating the answer");

    stream.close();
    Duration freed = mesh.awaitLoad(0, load -> load.getInteger("running") == 0, Duration.ofSeconds(3),
        "the worker stops generating after the client left");
    assertTrue(freed.toMillis() < 3000, "freed in " + freed);

    TraceRecord trace = mesh.trace(traceId);
    assertEquals(TraceRecord.STATUS_CANCELLED, trace.status());
    assertTrue(trace.answer().length() > 0, "the trace keeps what was streamed before the client left");
  }

  @Test
  void aNonStreamingClientThatGivesUpAlsoCancels() throws Exception {
    RawSse pending = RawSse.postWithoutReading(gateway + "/v1/chat/completions", LONG_CHAT.formatted(false));
    mesh.awaitLoad(0, load -> load.getInteger("running") == 1, Duration.ofSeconds(10), "the worker starts generating");

    pending.close();
    mesh.awaitLoad(0, load -> load.getInteger("running") == 0, Duration.ofSeconds(3),
        "the worker stops generating after the client left");
    assertTrue(mesh.traces.stream().anyMatch(t -> t.status().equals(TraceRecord.STATUS_CANCELLED)
        && !t.request().stream()), "the non-streaming request is traced as cancelled");
  }

  @Test
  void clientsLeavingAreNotCountedAsWorkerFailures() throws Exception {
    for (int i = 0; i < 4; i++) {
      try (RawSse stream = RawSse.post(rarelyProbed + "/v1/chat/completions", LONG_CHAT.formatted(true))) {
        assertEquals(200, stream.status);
        stream.nextEvent();
        stream.nextEvent();
      }
      mesh.awaitLoad(0, load -> load.getInteger("running") == 0, Duration.ofSeconds(3), "stop " + i + " frees the worker");
    }
    HttpResponse<String> next = MeshHttp.post(rarelyProbed + "/v1/chat/completions",
        "{\"model\":\"twin\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals(200, next.statusCode(), "four users pressing Stop must not eject a healthy worker: " + next.body());
  }

  @Test
  void aClientThatLeavesRightAfterSendingStartsNoGeneration() throws Exception {
    for (String stream : new String[] {"true", "false"}) {
      for (int i = 0; i < 5; i++) {
        RawSse.postWithoutReading(gateway + "/v1/completions", LONG_COMPLETION.formatted(stream)).close();
      }
      // Five abandoned answers of 1900 tokens would keep the worker busy for well over 30 s; a few seconds
      // allow for a slow machine noticing the closed connections.
      Thread.sleep(500);
      mesh.awaitLoad(0, load -> load.getInteger("running") == 0 && load.getInteger("waiting") == 0,
          Duration.ofSeconds(5), "nothing generates for clients that already left (stream " + stream + ")");
    }
  }
}
