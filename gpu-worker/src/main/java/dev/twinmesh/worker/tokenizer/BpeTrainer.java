package dev.twinmesh.worker.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Learns byte-level BPE merges from a text: split into words the way the ByteLevel pre-tokenizer does,
 * then repeatedly merge the most frequent adjacent pair. Plain counting per round, which is fast
 * enough for the few kilobytes of corpus twin-mesh trains on.
 */
public final class BpeTrainer {
  /** GPT-2's pre-tokenization split, the one the ByteLevel pre-tokenizer applies with use_regex. */
  static final Pattern WORDS = Pattern.compile(
      "'(?:s|t|re|ve|m|ll|d)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

  private BpeTrainer() {}

  /** A learned merge of two adjacent symbols into one. */
  public record Merge(String left, String right) {
    public String merged() {
      return left + right;
    }
  }

  /** At most {@code maxMerges} merges, stopping early once no pair occurs twice. */
  public static List<Merge> train(String corpus, int maxMerges) {
    Map<List<String>, Integer> words = wordCounts(corpus);
    List<Merge> merges = new ArrayList<>();
    while (merges.size() < maxMerges) {
      Merge best = mostFrequentPair(words);
      if (best == null) {
        break;
      }
      merges.add(best);
      words = applyMerge(words, best);
    }
    return merges;
  }

  private static Map<List<String>, Integer> wordCounts(String corpus) {
    Map<List<String>, Integer> words = new HashMap<>();
    Matcher m = WORDS.matcher(corpus);
    while (m.find()) {
      String word = ByteLevelAlphabet.encode(m.group().getBytes(StandardCharsets.UTF_8));
      List<String> symbols = new ArrayList<>(word.length());
      word.chars().forEach(c -> symbols.add(String.valueOf((char) c)));
      words.merge(symbols, 1, Integer::sum);
    }
    return words;
  }

  /** Ties go to the lexicographically smallest pair, so training is deterministic. */
  private static Merge mostFrequentPair(Map<List<String>, Integer> words) {
    Map<Merge, Integer> counts = new HashMap<>();
    words.forEach((symbols, count) -> {
      for (int i = 0; i + 1 < symbols.size(); i++) {
        counts.merge(new Merge(symbols.get(i), symbols.get(i + 1)), count, Integer::sum);
      }
    });
    Merge best = null;
    int bestCount = 1;
    for (Map.Entry<Merge, Integer> e : counts.entrySet()) {
      if (e.getValue() > bestCount || e.getValue() == bestCount && best != null && before(e.getKey(), best)) {
        best = e.getKey();
        bestCount = e.getValue();
      }
    }
    return best;
  }

  private static boolean before(Merge a, Merge b) {
    int c = a.left().compareTo(b.left());
    return c != 0 ? c < 0 : a.right().compareTo(b.right()) < 0;
  }

  private static Map<List<String>, Integer> applyMerge(Map<List<String>, Integer> words, Merge merge) {
    Map<List<String>, Integer> result = new HashMap<>();
    words.forEach((symbols, count) -> {
      List<String> out = new ArrayList<>(symbols.size());
      for (int i = 0; i < symbols.size(); i++) {
        if (i + 1 < symbols.size() && symbols.get(i).equals(merge.left())
            && symbols.get(i + 1).equals(merge.right())) {
          out.add(merge.merged());
          i++;
        } else {
          out.add(symbols.get(i));
        }
      }
      result.merge(out, count, Integer::sum);
    });
    return result;
  }
}
