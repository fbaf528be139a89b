package dev.twinmesh.app.bench;

import dev.twinmesh.rag.Author;
import dev.twinmesh.rag.ingest.DocumentType;
import dev.twinmesh.rag.ingest.SourceDocument;
import dev.twinmesh.rag.ingest.TextFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Deterministic writing for the RAG benchmark: authors, each with a topic vocabulary of their own mixed into
 * common English, producing sentences, chunk-sized passages, documents and questions. The same seed gives
 * the same corpus on every machine.
 */
final class SyntheticCorpus {
  private static final String[] COMMON = ("the a of and to in is that it for on with as was by this are be from at "
      + "or an not which but have we they can more one all when their there been has would about what so some "
      + "into than its only other new time may also these after most over such then first well could our even "
      + "much way because how each where just those both under between never while still same another since "
      + "without often every system people work part world long small large number point during always usually")
      .split(" ");
  private static final String[][] TOPICS = {
      ("compiler parser grammar syntax token lexer optimizer register bytecode interpreter language semantic "
          + "type inference runtime garbage collector assembly instruction linker library").split(" "),
      ("database index query transaction replica partition shard consistency latency throughput cache "
          + "storage log commit isolation lock table schema backup recovery").split(" "),
      ("network packet router protocol bandwidth socket server client request response gateway proxy "
          + "connection timeout retry congestion stream encryption certificate").split(" "),
      ("model training gradient weight layer attention embedding vector tensor batch inference dataset "
          + "accuracy loss neuron prompt token decoder encoder retrieval").split(" "),
      ("garden soil seed flower tree water season harvest compost root leaf sunlight rain tomato bean "
          + "orchard pruning mulch insect bloom").split(" "),
      ("ocean sail wind harbor island wave tide current navigation compass anchor voyage storm coast "
          + "lighthouse reef fleet captain chart horizon").split(" "),
      ("music melody rhythm harmony chord piano violin orchestra concert tempo scale note composer "
          + "symphony jazz guitar drum lyric choir rehearsal").split(" "),
      ("kitchen bread flour oven recipe spice butter sugar dough salt pepper garlic onion soup roast "
          + "bake knife pan simmer flavor").split(" ")};
  private static final String[] FIRST = {"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken"};
  private static final String[] LAST = {"Quill", "Harbor", "Stone", "Meadow", "Rivers", "Vale", "Brook", "Ashby"};
  private static final DocumentType[] TYPES = DocumentType.values();

  private final int authors;
  private final long seed;

  SyntheticCorpus(int authors, long seed) {
    if (authors < 1 || authors > TOPICS.length) {
      throw new IllegalArgumentException("authors must be in 1.." + TOPICS.length + ", not " + authors);
    }
    this.authors = authors;
    this.seed = seed;
  }

  Author author(int i) {
    return new Author("author-" + i, FIRST[i % FIRST.length] + " " + LAST[i % LAST.length]);
  }

  int authors() {
    return authors;
  }

  /** A passage of about {@code words} words by author {@code i}: roughly 1.15 bge tokens per word with punctuation. */
  String passage(int author, long index, int words) {
    SplittableRandom random = new SplittableRandom(seed * 1_000_003L + author * 7_919L + index);
    StringBuilder text = new StringBuilder();
    int written = 0;
    while (written < words) {
      int length = 8 + random.nextInt(13);
      text.append(sentence(random, author, length)).append(' ');
      written += length;
    }
    return text.toString().strip();
  }

  /** A document of {@code chunks} chunk-sized passages, as paragraphs, so the chunker cuts 512-token chunks. */
  SourceDocument document(int author, long index, int chunks, int wordsPerChunk) {
    StringBuilder text = new StringBuilder();
    for (int c = 0; c < chunks; c++) {
      text.append(passage(author, index * 64 + c, wordsPerChunk)).append("\n\n");
    }
    DocumentType type = TYPES[(int) (index % TYPES.length)];
    return new SourceDocument(author(author), type, "bench/" + author(author).id() + "/" + type.collection() + "/"
        + index + ".txt", text.toString(), TextFormat.PLAIN);
  }

  DocumentType type(long index) {
    return TYPES[(int) (index % TYPES.length)];
  }

  /** A question in author {@code i}'s vocabulary. */
  String question(int author, long index) {
    SplittableRandom random = new SplittableRandom(~seed * 31 + author * 131L + index);
    String[] topic = TOPICS[author];
    return "What did you write about the " + topic[random.nextInt(topic.length)] + " and the "
        + topic[random.nextInt(topic.length)] + " of a " + topic[random.nextInt(topic.length)] + "?";
  }

  private static String sentence(SplittableRandom random, int author, int length) {
    String[] topic = TOPICS[author];
    StringBuilder s = new StringBuilder();
    for (int w = 0; w < length; w++) {
      String word = random.nextInt(10) < 4 ? topic[random.nextInt(topic.length)] : COMMON[random.nextInt(COMMON.length)];
      if (w == 0) {
        word = word.substring(0, 1).toUpperCase(Locale.ROOT) + word.substring(1);
      }
      s.append(w == 0 ? "" : random.nextInt(12) == 0 ? ", " : " ").append(word);
    }
    return s.append('.').toString();
  }

  List<Integer> authorIds() {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < authors; i++) {
      ids.add(i);
    }
    return ids;
  }
}
