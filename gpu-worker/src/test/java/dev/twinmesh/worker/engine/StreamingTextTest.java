package dev.twinmesh.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.worker.engine.EngineFixture.Built;
import dev.twinmesh.worker.engine.EngineFixture.Collector;
import dev.twinmesh.worker.sampling.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Streamed text is exactly the decode of the generated tokens, and never half a character: random
 * weights sample raw byte tokens, so UTF-8 characters arrive split across tokens (and invalid bytes
 * too).
 */
class StreamingTextTest extends EngineTestBase {

  @Test
  void theStreamedTextIsTheFullDecodeAndNeverSplitsACharacter() throws Exception {
    Built built = fixture.engine(128, 4, 64, 8);
    List<Collector> collectors = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Collector c = new Collector();
      built.engine().submit(fixture.request(fixture.prompt(70 + i, 6 + i),
          EngineFixture.sampling(1.0, 100L + i, List.of(), 17 + 3 * i, 1)), c);
      collectors.add(c);
    }
    int heldBack = 0;
    for (Collector c : collectors) {
      c.finished();
      int[] ids = c.tokenIds();
      String full = fixture.fullDecode(ids);
      assertEquals(full, c.text(), "streamed events plus held text equal the decode of " + ids.length + " tokens");
      for (GenerationEvent.Token t : c.tokens()) {
        assertWholeCharacters(t.text());
        if (t.text().isEmpty() && fixture.twinTokenizer.tokenDecoder().bytes(t.sampled().tokenId(), true).length > 0) {
          heldBack++;
        }
      }
      assertWholeCharacters(c.finished().heldText());
    }
    assertTrue(heldBack > 0, "some tokens ended inside a character and were held back");
    EngineFixture.awaitPoolFull(built);
  }

  @Test
  void multiByteCharactersSplitAcrossTokensAreSentWholeOnceComplete() throws Exception {
    String text = "caf\u00e9 \ud83d\ude42 \u4e16\u754c!";
    int[] ids = fixture.tokenizer.encodePrompt(text);
    assertEquals(text, fixture.fullDecode(ids));
    SequenceOutput output = new SequenceOutput(fixture.tokenizer, EngineFixture.greedy(ids.length), ids.length,
        fixture.eosTokenIds);
    StringBuilder streamed = new StringBuilder();
    int empty = 0;
    for (int id : ids) {
      String piece = output.accept(new Sample(id, 0, List.of())).text();
      assertWholeCharacters(piece);
      assertTrue(piece.indexOf(0xFFFD) < 0, "no replacement character for a split valid character");
      empty += piece.isEmpty() ? 1 : 0;
      streamed.append(piece);
    }
    assertTrue(empty >= 3 + 2 + 2 + 1, "the bytes before each character's last one were held back: " + empty);
    assertEquals(text, streamed.append(output.finish(ids.length, 0, 0).heldText()).toString());
  }

  @Test
  void aCharacterCutOffByMaxTokensIsReleasedAsTheFullDecodeShowsIt() throws Exception {
    int[] ids = fixture.tokenizer.encodePrompt("ab\ud83d\ude42");
    int[] cut = Arrays.copyOf(ids, ids.length - 1); // the emoji's last byte never comes
    SequenceOutput output = new SequenceOutput(fixture.tokenizer, EngineFixture.greedy(cut.length), cut.length,
        fixture.eosTokenIds);
    StringBuilder streamed = new StringBuilder();
    for (int id : cut) {
      streamed.append(output.accept(new Sample(id, 0, List.of())).text());
    }
    GenerationEvent.Finished end = output.finish(cut.length, 0, 0);
    assertEquals("length", end.finishReason());
    assertEquals(fixture.fullDecode(cut), streamed + end.heldText());
    assertEquals("ab\ufffd", streamed + end.heldText());
  }

  /** Valid UTF-16: every surrogate in a pair. */
  private static void assertWholeCharacters(String text) {
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (Character.isHighSurrogate(ch)) {
        assertTrue(i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1)), "lone high surrogate");
        i++;
      } else {
        assertTrue(!Character.isLowSurrogate(ch), "lone low surrogate");
      }
    }
  }
}
