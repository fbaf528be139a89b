package dev.twinmesh.gateway.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class JobCodecTest {

  @Test
  void aQuestionBecomesOneUserMessageWithTheJobsSamplingAndExtensions() {
    JobCodec.Parsed parsed = JobCodec.parse("{\"job_id\":\"j1\",\"question\":\"What do I write about?\",\"author\":\"alice\","
        + "\"rag\":false,\"sampling\":{\"max_tokens\":7,\"temperature\":0.3,\"stream\":true}}", "key", "twin");
    assertTrue(parsed.valid(), parsed.error());
    JsonObject body = parsed.chatBody();
    assertEquals("twin", body.getString("model"));
    assertEquals(7, body.getInteger("max_tokens"));
    assertEquals(0.3, body.getDouble("temperature"));
    assertFalse(body.getBoolean("stream"), "a job is always answered in one piece");
    assertEquals("alice", body.getString("author"));
    assertFalse(body.getBoolean("rag"));
    assertEquals(new JsonObject().put("role", "user").put("content", "What do I write about?"),
        body.getJsonArray("messages").getJsonObject(0));
  }

  @Test
  void theRecordKeyStandsInForAMissingJobId() {
    JobCodec.Parsed parsed = JobCodec.parse("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"model\":\"other\"}",
        "from-key", "twin");
    assertTrue(parsed.valid(), parsed.error());
    assertEquals("from-key", parsed.job().jobId());
    assertEquals("other", parsed.chatBody().getString("model"));
  }

  @Test
  void malformedJobsAreRefusedWithTheReason() {
    assertTrue(JobCodec.parse("{oops", "k", "twin").error().contains("cannot parse JobRequest"));
    assertTrue(JobCodec.parse("null", "k", "twin").error().contains("null"));
    assertTrue(JobCodec.parse("{\"question\":\"hi\"}", null, "twin").error().contains("job_id is missing"));
    assertTrue(JobCodec.parse("{\"job_id\":\"a\"}", "k", "twin").error().contains("messages or a question"));
    assertTrue(JobCodec.parse("{\"job_id\":\"a\",\"schema\":\"twin.job.request.v2\",\"question\":\"hi\"}", "k", "twin")
        .error().contains("unsupported schema"));
    String temperature = JobCodec.parse("{\"job_id\":\"a\",\"question\":\"hi\",\"sampling\":{\"temperature\":7}}", "k", "twin").error();
    assertTrue(temperature.contains("temperature"), temperature);
    assertEquals("a", JobCodec.parse("{\"job_id\":\"a\"}", "k", "twin").job().jobId(), "the id survives for the DLQ");
  }
}
