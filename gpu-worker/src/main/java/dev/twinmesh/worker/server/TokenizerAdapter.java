package dev.twinmesh.worker.server;

import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.worker.engine.TokenTextDecoder;
import dev.twinmesh.worker.tokenizer.ChatTemplate;
import dev.twinmesh.worker.tokenizer.IncrementalDetokenizer;
import dev.twinmesh.worker.tokenizer.TokenDecoder;
import dev.twinmesh.worker.tokenizer.TwinTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The model's tokenizer files seen from the serving path: chats rendered with the checkpoint's own chat
 * template and encoded by its tokenizer.json; token ids decoded incrementally, special tokens skipped.
 */
public final class TokenizerAdapter implements PromptEncoder, TokenTextDecoder {
  private final TwinTokenizer tokenizer;
  private final ChatTemplate template;
  private final TokenDecoder decoder;

  TokenizerAdapter(TwinTokenizer tokenizer, ChatTemplate template, TokenDecoder decoder) {
    this.tokenizer = tokenizer;
    this.template = template;
    this.decoder = decoder;
  }

  /** Reads tokenizer.json and tokenizer_config.json (its chat template) from a checkpoint directory. */
  public static TokenizerAdapter load(Path checkpointDir) {
    TwinTokenizer tokenizer = TwinTokenizer.load(checkpointDir);
    return new TokenizerAdapter(tokenizer, ChatTemplate.load(checkpointDir), tokenizer.tokenDecoder());
  }

  /** End-of-sequence ids the tokenizer files name (the config may name more). */
  public Set<Integer> eosTokenIds() {
    return Set.copyOf(tokenizer.eosIds());
  }

  @Override
  public int[] encodeChat(List<ChatMessage> messages) {
    return tokenizer.encode(template.render(messages, true));
  }

  @Override
  public int[] encodePrompt(String prompt) {
    return tokenizer.encode(prompt);
  }

  @Override
  public String tokenText(int tokenId) {
    return new String(decoder.bytes(tokenId, false), StandardCharsets.UTF_8);
  }

  @Override
  public Stream open() {
    IncrementalDetokenizer detokenizer = new IncrementalDetokenizer(decoder, true);
    return new Stream() {
      @Override
      public String next(int tokenId) {
        return detokenizer.push(tokenId);
      }

      @Override
      public String flush() {
        return detokenizer.flush();
      }
    };
  }
}
