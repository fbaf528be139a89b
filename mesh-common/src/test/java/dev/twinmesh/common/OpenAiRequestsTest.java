package dev.twinmesh.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OpenAiRequestsTest {

  @Test
  void chatRequestGetsTheTwinsDefaults() {
    OpenAiRequest r = OpenAiRequests.parse(OpenAiRequest.Kind.CHAT,
        "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":\"Write about RAG\"}]}");
    assertEquals("twin", r.model());
    assertEquals("Write about RAG", r.question());
    assertEquals(0.01, r.sampling().temperature());
    assertEquals(0.6, r.sampling().topP());
    assertTrue(r.rag(), "RAG is on unless the client turns it off");
    assertFalse(r.stream());
  }

  @Test
  void contentPartsAreJoined() {
    OpenAiRequest r = OpenAiRequests.parse(OpenAiRequest.Kind.CHAT, "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\","
        + "\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}]}");
    assertEquals("ab", r.messages().get(0).content());
  }

  @ParameterizedTest(name = "{0} -> param {1}")
  @CsvSource(delimiter = '|', value = {
      "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|model",
      "{\"model\":\"twin\"}|messages",
      "{\"model\":\"twin\",\"messages\":[]}|messages",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}|messages[0].role",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":5}]}|messages[0].content",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":3}|temperature",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":0}|top_p",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}|max_tokens",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":1.5}|max_tokens",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}|stream",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[1]}|stop",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}|n",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_logprobs\":3}|top_logprobs",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":1}|stream_options",
  })
  void invalidFieldsAreNamed(String body, String param) {
    ApiException e = assertThrows(ApiException.class, () -> OpenAiRequests.parse(OpenAiRequest.Kind.CHAT, body));
    assertEquals(400, e.status());
    assertEquals(param, e.param());
    assertEquals(param, e.toBody().getJsonObject("error").getString("param"));
  }

  @Test
  void malformedJsonIsA400() {
    ApiException e = assertThrows(ApiException.class, () -> OpenAiRequests.parse(OpenAiRequest.Kind.CHAT, "{\"model\":"));
    assertEquals(400, e.status());
    assertEquals("invalid_request_error", e.type());
  }

  @Test
  void completionPromptIsRequired() {
    ApiException e = assertThrows(ApiException.class,
        () -> OpenAiRequests.parse(OpenAiRequest.Kind.COMPLETION, "{\"model\":\"twin\"}"));
    assertEquals("prompt", e.param());
  }

  @Test
  void toJsonParsesBackToTheSameRequest() {
    String body = "{\"model\":\"twin\",\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"q\"}],"
        + "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"temperature\":0.7,\"top_p\":0.9,\"top_k\":40,"
        + "\"min_p\":0.05,\"repetition_penalty\":1.1,\"frequency_penalty\":0.5,\"presence_penalty\":-0.5,\"seed\":7,"
        + "\"stop\":[\"###\",\"\\n\\n\"],\"stop_token_ids\":[3],\"max_tokens\":33,\"logprobs\":true,\"top_logprobs\":2,"
        + "\"rag\":false,\"author\":\"ada\"}";
    OpenAiRequest first = OpenAiRequests.parse(OpenAiRequest.Kind.CHAT, body);
    JsonObject json = OpenAiRequests.toJson(first);
    json.put("rag", false).put("author", "ada");
    OpenAiRequest second = OpenAiRequests.parse(OpenAiRequest.Kind.CHAT, json);
    assertEquals(first, second);
    assertEquals(List.of("###", "\n\n"), second.sampling().stop());
    assertEquals(7L, second.sampling().seed());
  }
}
