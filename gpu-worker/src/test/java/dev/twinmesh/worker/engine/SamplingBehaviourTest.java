package dev.twinmesh.worker.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.worker.engine.EngineFixture.Built;
import dev.twinmesh.worker.engine.EngineFixture.Collector;
import dev.twinmesh.worker.engine.EngineFixture.Result;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a request's sampling parameters promise, through the whole engine: stops, lengths, seeds, penalties. */
class SamplingBehaviourTest {
  @TempDir
  static Path dir;
  static EngineFixture fixture;
  static Built built;

  @BeforeAll
  static void load() {
    fixture = EngineFixture.load(dir);
    built = fixture.engine(128, 4, 64, 8);
  }

  @AfterAll
  static void close() throws Exception {
    EngineFixture.awaitPoolFull(built);
    fixture.close();
  }

  @Test
  void maxTokensEndsWithLengthAfterExactlyThatManyTokens() throws Exception {
    Collector c = submit(fixture.prompt(41, 9), EngineFixture.greedy(7));
    GenerationEvent.Finished end = c.finished();
    assertEquals("length", end.finishReason());
    assertEquals(7, end.completionTokens());
    assertEquals(7, c.tokens().size());
    assertEquals(9, end.promptTokens());
  }

  @Test
  void aStopStringEndsTheTextBeforeItAndNeverLeaksIntoTheStream() throws Exception {
    int[] prompt = fixture.prompt(42, 12);
    String free = Result.of(submit(prompt, EngineFixture.greedy(40))).text();
    String stop = pickStop(free);
    String expected = free.substring(0, free.indexOf(stop));

    Collector c = submit(prompt, EngineFixture.sampling(0, null, List.of(stop), 40, 1));
    GenerationEvent.Finished end = c.finished();
    assertEquals("stop", end.finishReason());
    assertEquals(expected, c.text(), "the text up to the stop string, stop " + escape(stop) + " in " + escape(free));
    assertTrue(end.completionTokens() < 40, "generation stopped early");
    for (GenerationEvent.Token t : c.tokens()) {
      assertFalse(t.text().contains(stop), "an event leaked the stop string: " + escape(t.text()));
    }
    assertEquals("", end.heldText(), "nothing after a stop string is released");
  }

  @Test
  void aStopTokenIdEndsWithStopAtItsFirstOccurrence() throws Exception {
    int[] prompt = fixture.prompt(43, 12);
    int[] free = Result.of(submit(prompt, EngineFixture.greedy(20))).tokenIds();
    int stopId = free[5];
    int firstAt = 0;
    while (free[firstAt] != stopId) {
      firstAt++;
    }
    SamplingParams withStopId = new SamplingParams(0, 1, 0, 0, 1, 0, 0, null, List.of(), List.of(stopId), 20, true, 0, true);
    Result stopped = Result.of(submit(prompt, withStopId));
    assertEquals("stop", stopped.finishReason());
    assertEquals(firstAt + 1, stopped.completionTokens());
    assertArrayEquals(Arrays.copyOf(free, firstAt + 1), stopped.tokenIds());
  }

  @Test
  void theSameSeedGivesTheSameTextAloneAndInAnyBatch() throws Exception {
    int[] prompt = fixture.prompt(44, 10);
    SamplingParams seeded = EngineFixture.sampling(1.0, 1234L, List.of(), 24, 1);
    Result alone = Result.of(submit(prompt, seeded));
    Result again = Result.of(submit(prompt, seeded));
    assertArrayEquals(alone.tokenIds(), again.tokenIds(), "same seed, same tokens");
    assertEquals(alone.text(), again.text());

    List<Collector> others = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      others.add(submit(fixture.prompt(50 + i, 5 + 9 * i), EngineFixture.sampling(1.0, null, List.of(), 30, 1)));
    }
    Collector inBatch = submit(prompt, seeded);
    others.add(submit(fixture.prompt(60, 30), EngineFixture.sampling(1.0, null, List.of(), 10, 1)));
    Result batched = Result.of(inBatch);
    for (Collector other : others) {
      other.finished();
    }
    assertArrayEquals(alone.tokenIds(), batched.tokenIds(), "same seed beside other random requests, same tokens");
    assertEquals(alone.text(), batched.text());

    Result otherSeed = Result.of(submit(prompt, EngineFixture.sampling(1.0, 4321L, List.of(), 24, 1)));
    assertFalse(Arrays.equals(alone.tokenIds(), otherSeed.tokenIds()), "another seed, other tokens");
  }

  @Test
  void aHighRepetitionPenaltyRepeatsLessThanNone() throws Exception {
    int[] prompt = fixture.prompt(45, 6);
    Result plain = Result.of(submit(prompt, EngineFixture.sampling(0, null, List.of(), 60, 1)));
    Result penalized = Result.of(submit(prompt, EngineFixture.sampling(0, null, List.of(), 60, 2.0)));
    int plainRepeats = repeats(plain.tokenIds());
    int penalizedRepeats = repeats(penalized.tokenIds());
    assertTrue(plainRepeats > 0, "greedy on random weights loops: " + plainRepeats + " repeats");
    assertTrue(penalizedRepeats < plainRepeats, "repeats " + penalizedRepeats + " with the penalty, "
        + plainRepeats + " without");
    SamplingParams frequency = new SamplingParams(0, 1, 0, 0, 1, 2.0, 0, null, List.of(), List.of(), 60, true, 0, true);
    int frequencyRepeats = repeats(Result.of(submit(prompt, frequency)).tokenIds());
    assertTrue(frequencyRepeats < plainRepeats, "repeats " + frequencyRepeats + " with frequency_penalty, "
        + plainRepeats + " without");
  }

  /** Tokens that already occurred earlier in the completion. */
  private static int repeats(int[] ids) {
    return ids.length - (int) Arrays.stream(ids).distinct().count();
  }

  /** Three characters from the middle of a text, none a replacement character or half a surrogate pair. */
  private static String pickStop(String text) {
    for (int i = Math.min(6, text.length() / 3); i + 3 <= text.length(); i++) {
      String candidate = text.substring(i, i + 3);
      if (candidate.chars().noneMatch(ch -> ch == 0xFFFD || Character.isSurrogate((char) ch))) {
        return candidate;
      }
    }
    throw new AssertionError("no usable stop string in " + escape(text));
  }

  private static String escape(String s) {
    StringBuilder out = new StringBuilder("\"");
    s.chars().forEach(ch -> out.append(ch >= 0x20 && ch < 0x7f ? String.valueOf((char) ch) : String.format("\\u%04x", ch)));
    return out.append('"').toString();
  }

  private static Collector submit(int[] prompt, SamplingParams sampling) {
    Collector c = new Collector();
    built.engine().submit(fixture.request(prompt, sampling), c);
    return c;
  }
}
