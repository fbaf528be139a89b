package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.errors.UnprocessableEntityException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.models.Model;
import dev.twinmesh.common.TraceRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java SDK, pointed at the gateway, works unchanged: chat and plain completions,
 * streaming and not, greedy answers that match token for token, usage, finish reasons, and errors that
 * the SDK maps to its own exception types. The gateway requires an API key here, as in production.
 */
class OpenAiSdkCompatibilityTest {
  private static final String KEY = "sk-twin-test";
  private static final int TOKENS = 20;

  static TestMesh mesh;
  static OpenAIClient client;
  static String gateway;

  @BeforeAll
  static void start() {
    mesh = TestMesh.start(1, TestMesh.runtime());
    gateway = mesh.gateway(TestMesh.limits(64, 64), Set.of(KEY), 1 << 20);
    client = sdk(KEY);
  }

  static OpenAIClient sdk(String key) {
    return OpenAIOkHttpClient.builder().baseUrl(gateway + "/v1").apiKey(key).maxRetries(0)
        .timeout(Duration.ofMinutes(1)).build();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  private static ChatCompletionCreateParams chat(String question) {
    return ChatCompletionCreateParams.builder()
        .model("twin")
        .addUserMessage(question)
        .temperature(0.0)
        .maxCompletionTokens(TOKENS)
        .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true))
        .putAdditionalBodyProperty("rag", JsonValue.from(false))
        .build();
  }

  @Test
  void chatStreamedAndNotStreamedGiveTheSameGreedyAnswerUsageAndFinishReason() {
    ChatCompletion whole = client.chat().completions().create(chat("Write about RAG"));
    assertEquals("twin", whole.model());
    assertTrue(whole.id().startsWith("chatcmpl-"), whole.id());
    ChatCompletion.Choice choice = whole.choices().get(0);
    assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, choice.finishReason());
    String answer = choice.message().content().orElseThrow();
    assertFalse(answer.isEmpty());
    CompletionUsage usage = whole.usage().orElseThrow();
    assertEquals(TOKENS, usage.completionTokens());
    assertTrue(usage.promptTokens() > 3, "the chat template and the question make the prompt");
    assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());

    ChatCompletionCreateParams streamed = chat("Write about RAG").toBuilder()
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(streamed)) {
      stream.stream().forEach(chunks::add);
    }
    assertTrue(chunks.size() >= TOKENS / 2, "the answer arrives in many chunks: " + chunks.size());
    assertEquals("assistant", chunks.get(0).choices().get(0).delta().role().orElseThrow().asString());
    StringBuilder text = new StringBuilder();
    ChatCompletionChunk.Choice.FinishReason finish = null;
    for (ChatCompletionChunk chunk : chunks) {
      assertEquals(chunks.get(0).id(), chunk.id(), "one id for the whole stream");
      for (ChatCompletionChunk.Choice c : chunk.choices()) {
        c.delta().content().ifPresent(text::append);
        if (c.finishReason().isPresent()) {
          finish = c.finishReason().get();
        }
      }
    }
    assertEquals(answer, text.toString(), "greedy decoding: the stream spells the same answer");
    assertEquals(ChatCompletionChunk.Choice.FinishReason.LENGTH, finish);
    ChatCompletionChunk last = chunks.get(chunks.size() - 1);
    assertTrue(last.choices().isEmpty(), "the usage chunk has no choices");
    assertEquals(usage.completionTokens(), last.usage().orElseThrow().completionTokens());
    assertEquals(usage.promptTokens(), last.usage().orElseThrow().promptTokens());
  }

  @Test
  void aStopSequenceEndsTheAnswerBeforeItWithFinishReasonStop() {
    String answer = client.chat().completions().create(chat("Tell me a story")).choices().get(0).message()
        .content().orElseThrow();
    String stop = stopSequenceFrom(answer);
    ChatCompletion stopped = client.chat().completions().create(chat("Tell me a story").toBuilder().stop(stop).build());
    ChatCompletion.Choice choice = stopped.choices().get(0);
    assertEquals(ChatCompletion.Choice.FinishReason.STOP, choice.finishReason());
    assertEquals(answer.substring(0, answer.indexOf(stop)), choice.message().content().orElseThrow(),
        "the answer ends right before the stop sequence " + stop);
  }

  /** Three plain letters from the middle of a greedy answer: where it would be cut. */
  private static String stopSequenceFrom(String answer) {
    for (int i = 4; i + 3 <= answer.length(); i++) {
      String candidate = answer.substring(i, i + 3);
      if (candidate.chars().allMatch(Character::isLetter) && candidate.chars().allMatch(c -> c < 128)) {
        return candidate;
      }
    }
    throw new AssertionError("no plain letters in the greedy answer: " + answer);
  }

  @Test
  void plainCompletionsStreamedAndNotStreamedAgree() {
    CompletionCreateParams params = CompletionCreateParams.builder()
        .model("twin")
        .prompt("The twin says")
        .temperature(0.0)
        .maxTokens(TOKENS)
        .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true))
        .build();
    Completion whole = client.completions().create(params);
    assertTrue(whole.id().startsWith("cmpl-"), whole.id());
    assertEquals(CompletionChoice.FinishReason.LENGTH, whole.choices().get(0).finishReason());
    assertEquals(TOKENS, whole.usage().orElseThrow().completionTokens());
    String answer = whole.choices().get(0).text();

    StringBuilder text = new StringBuilder();
    List<String> finishReasons = new ArrayList<>();
    CompletionUsage[] usage = new CompletionUsage[1];
    CompletionCreateParams streamed = params.toBuilder()
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
    try (StreamResponse<Completion> stream = client.completions().createStreaming(streamed)) {
      stream.stream().forEach(chunk -> {
        chunk.usage().ifPresent(u -> usage[0] = u);
        for (CompletionChoice c : chunk.choices()) {
          text.append(c.text());
          c._finishReason().asKnown().ifPresent(r -> finishReasons.add(r.asString()));
        }
      });
    }
    assertEquals(answer, text.toString());
    assertEquals(List.of("length"), finishReasons, "one finish reason, on the last choice chunk");
    assertNotNull(usage[0], "include_usage brings a usage chunk");
    assertEquals(TOKENS, usage[0].completionTokens());
  }

  @Test
  void modelsListTheServedModel() {
    List<Model> models = client.models().list().data();
    assertEquals(List.of("twin"), models.stream().map(Model::id).toList());
  }

  @Test
  void errorsArriveAsTheSdksOwnExceptions() {
    OpenAIClient wrongKey = sdk("sk-wrong");
    try {
      UnauthorizedException e = assertThrows(UnauthorizedException.class,
          () -> wrongKey.chat().completions().create(chat("hi")));
      assertEquals("invalid_api_key", e.code().orElseThrow());
    } finally {
      wrongKey.close();
    }
    NotFoundException unknown = assertThrows(NotFoundException.class,
        () -> client.chat().completions().create(chat("hi").toBuilder().model("gpt-4o").build()));
    assertEquals("model_not_found", unknown.code().orElseThrow());
    BadRequestException bad = assertThrows(BadRequestException.class,
        () -> client.chat().completions().create(chat("hi").toBuilder().temperature(7.0).build()));
    assertEquals("temperature", bad.param().orElseThrow());
    UnprocessableEntityException tooLong = assertThrows(UnprocessableEntityException.class,
        () -> client.chat().completions().create(chat("hi").toBuilder().maxCompletionTokens(5000).build()));
    assertEquals("context_length_exceeded", tooLong.code().orElseThrow());
  }

  @Test
  void everySdkCallLeftATrace() throws InterruptedException {
    ChatCompletion whole = client.chat().completions().create(chat("Trace me"));
    TraceRecord trace = mesh.trace(whole.id().substring("chatcmpl-".length()));
    assertEquals(TraceRecord.STATUS_OK, trace.status());
    assertEquals(whole.choices().get(0).message().content().orElseThrow(), trace.answer());
    assertEquals(TOKENS, trace.tokens().answer());
  }
}
