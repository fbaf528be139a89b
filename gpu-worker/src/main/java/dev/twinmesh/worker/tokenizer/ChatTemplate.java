package dev.twinmesh.worker.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.worker.checkpoint.CheckpointException;
import dev.twinmesh.worker.checkpoint.JsonFiles;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint's chat template (Jinja, from tokenizer_config.json) rendered with Jinjava, configured to
 * behave like the Jinja environment transformers uses: trim_blocks, lstrip_blocks, Python operator
 * precedence, and a {@code raise_exception} function templates call to reject bad conversations.
 */
public final class ChatTemplate {
  private static final Jinjava JINJAVA = newJinjava();

  private final String template;
  private final String bosToken;
  private final String eosToken;

  public ChatTemplate(String template, String bosToken, String eosToken) {
    this.template = template;
    this.bosToken = bosToken == null ? "" : bosToken;
    this.eosToken = eosToken == null ? "" : eosToken;
  }

  /** The template in a checkpoint's tokenizer_config.json: a string, or named templates where "default" is chosen. */
  public static ChatTemplate load(Path dir) {
    Path file = dir.resolve(TokenizerFiles.TOKENIZER_CONFIG);
    JsonNode config = JsonFiles.read(file);
    return new ChatTemplate(templateText(config.get("chat_template"), file),
        tokenText(config.get("bos_token")), tokenText(config.get("eos_token")));
  }

  private static String templateText(JsonNode node, Path file) {
    if (node == null || node.isNull()) {
      throw new CheckpointException(file, "missing field chat_template");
    }
    if (node.isTextual()) {
      return node.asText();
    }
    if (node.isArray()) {
      for (JsonNode named : node) {
        if ("default".equals(named.path("name").asText())) {
          return named.path("template").asText();
        }
      }
      throw new CheckpointException(file, "field chat_template has no template named default");
    }
    throw new CheckpointException(file, "field chat_template must be a string or a list of {name, template}");
  }

  private static String tokenText(JsonNode token) {
    if (token == null || token.isNull()) {
      return null;
    }
    return token.isObject() ? token.path("content").asText(null) : token.asText();
  }

  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    Map<String, Object> context = new HashMap<>();
    context.put("messages", messages.stream().map(ChatTemplate::asMap).toList());
    context.put("add_generation_prompt", addGenerationPrompt);
    context.put("bos_token", bosToken);
    context.put("eos_token", eosToken);
    RenderResult result = JINJAVA.renderForResult(template, context);
    for (TemplateError error : result.getErrors()) {
      if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new IllegalArgumentException(messageOf(error), error.getException());
      }
    }
    return result.getOutput();
  }

  /** Jinjava wraps what raise_exception threw; the template author's own words are the useful part. */
  private static String messageOf(TemplateError error) {
    for (Throwable t = error.getException(); t != null; t = t.getCause()) {
      if (t instanceof Raised raised) {
        return raised.getMessage();
      }
    }
    return "chat template failed: " + error.getMessage();
  }

  private static Map<String, Object> asMap(ChatMessage message) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("role", message.role());
    map.put("content", message.content());
    return map;
  }

  /** Called by templates as raise_exception('...'); the message reaches the client as a bad request. */
  public static String raiseException(String message) {
    throw new Raised(message);
  }

  /** Marks the template's own rejection among Jinjava's wrappers. */
  private static final class Raised extends RuntimeException {
    Raised(String message) {
      super(message, null, false, false);
    }
  }

  private static Jinjava newJinjava() {
    JinjavaConfig config = JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(true)
        .withFailOnUnknownTokens(false)
        .withLegacyOverrides(LegacyOverrides.newBuilder()
            .withUseNaturalOperatorPrecedence(true)
            .withParseWhitespaceControlStrictly(true)
            .build())
        .build();
    Jinjava jinjava = new Jinjava(config);
    jinjava.getGlobalContext().registerFunction(
        new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
    return jinjava;
  }
}
