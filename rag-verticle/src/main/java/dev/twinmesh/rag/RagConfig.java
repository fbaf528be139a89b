package dev.twinmesh.rag;

import dev.twinmesh.rag.embed.BgeSmallModel;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Everything the rag-verticle can be told, read once and validated here.
 *
 * @param store            where vectors live: {@code EMBEDDED} (Lucene on local disk) or {@code QDRANT}
 * @param dataDir          the embedded store's files ({@code vectors/}) and the author directory ({@code authors.json});
 *                         with Qdrant it may be null, and the author directory then lives in memory only
 * @param qdrantUrl        Qdrant's gRPC endpoint, e.g. {@code http://qdrant:6334}
 * @param qdrantApiKey     Qdrant's API key, or null
 * @param storeTimeout     the deadline of each vector store call
 * @param topK             hits per query per collection (TOP_K)
 * @param keepTopK         chunks kept after reranking (KEEP_TOP_K)
 * @param expandN          queries searched per question, the original included (EXPAND_N_QUERY); 1 or less: no expansion
 * @param mmrLambda        reranking: 1 is pure relevance to the question, 0 pure diversity
 * @param chunkSize        ingestion: chunk length in the embedding model's tokens
 * @param chunkOverlap     ingestion: tokens shared by consecutive chunks
 * @param maxInputTokens   the prompt budget (MAX_INPUT_TOKENS): system prompt plus user prompt
 * @param expansionUrl     an OpenAI-compatible base URL ({@code http://host:port/v1}) for query expansion, or null for none
 * @param expansionModel   the model named in expansion requests
 * @param expansionApiKey  a bearer token for the expansion endpoint, or null
 * @param expansionTimeout how long expansion may take before the original question is searched alone
 * @param embeddingModel   which export of bge-small-en-v1.5 embeds: int8 (the default) or fp32
 */
public record RagConfig(
    StoreType store,
    Path dataDir,
    String qdrantUrl,
    String qdrantApiKey,
    Duration storeTimeout,
    int topK,
    int keepTopK,
    int expandN,
    double mmrLambda,
    int chunkSize,
    int chunkOverlap,
    int maxInputTokens,
    String expansionUrl,
    String expansionModel,
    String expansionApiKey,
    Duration expansionTimeout,
    BgeSmallModel embeddingModel) {

  public enum StoreType { EMBEDDED, QDRANT }

  public static final int TOP_K = 5;
  public static final int KEEP_TOP_K = 5;
  public static final int EXPAND_N_QUERY = 5;
  public static final double MMR_LAMBDA = 0.7;
  public static final int CHUNK_SIZE = 512;
  public static final int CHUNK_OVERLAP = 50;
  public static final int MAX_INPUT_TOKENS = 1536;
  public static final String EXPANSION_MODEL = "twin";

  public RagConfig {
    require(store != null, "store type is required (embedded or qdrant)");
    require(store != StoreType.EMBEDDED || dataDir != null, "the embedded store needs a data directory");
    if (store == StoreType.QDRANT) {
      require(qdrantUrl != null && !qdrantUrl.isBlank(), "the qdrant store needs QDRANT_URL (gRPC, e.g. http://localhost:6334)");
      URI uri = uri(qdrantUrl, "QDRANT_URL");
      require(uri.getHost() != null && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())),
          "QDRANT_URL must look like http://host:6334, not " + qdrantUrl);
    }
    storeTimeout = storeTimeout == null ? Duration.ofSeconds(10) : storeTimeout;
    require(!storeTimeout.isNegative() && !storeTimeout.isZero(), "the store timeout must be positive");
    require(topK >= 1 && topK <= 100, "TOP_K must be in 1..100, not " + topK);
    require(keepTopK >= 1 && keepTopK <= 100, "KEEP_TOP_K must be in 1..100, not " + keepTopK);
    require(expandN >= 0 && expandN <= 20, "EXPAND_N_QUERY must be in 0..20, not " + expandN);
    require(mmrLambda >= 0 && mmrLambda <= 1, "the MMR lambda must be in [0, 1], not " + mmrLambda);
    require(chunkSize >= 16 && chunkSize <= 8192, "the chunk size must be in 16..8192 tokens, not " + chunkSize);
    require(chunkOverlap >= 0 && chunkOverlap < chunkSize, "the chunk overlap must be in [0, chunk size), not " + chunkOverlap);
    require(maxInputTokens >= 64, "MAX_INPUT_TOKENS must be at least 64, not " + maxInputTokens);
    if (expansionUrl != null && expansionUrl.isBlank()) {
      expansionUrl = null;
    }
    if (expansionUrl != null) {
      URI uri = uri(expansionUrl, "the expansion URL");
      require(uri.getHost() != null && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())),
          "the expansion URL must look like http://host:port/v1, not " + expansionUrl);
    }
    expansionModel = expansionModel == null || expansionModel.isBlank() ? EXPANSION_MODEL : expansionModel;
    expansionTimeout = expansionTimeout == null ? Duration.ofSeconds(10) : expansionTimeout;
    require(!expansionTimeout.isNegative() && !expansionTimeout.isZero(), "the expansion timeout must be positive");
    embeddingModel = embeddingModel == null ? BgeSmallModel.INT8 : embeddingModel;
  }

  /** The original system's settings, with the embedded store in {@code dataDir} and no query expansion endpoint. */
  public static RagConfig embedded(Path dataDir) {
    return new RagConfig(StoreType.EMBEDDED, dataDir, null, null, null, TOP_K, KEEP_TOP_K, EXPAND_N_QUERY, MMR_LAMBDA,
        CHUNK_SIZE, CHUNK_OVERLAP, MAX_INPUT_TOKENS, null, null, null, null, null);
  }

  /**
   * From environment variables, defaults for what is unset: RAG_STORE (embedded|qdrant), RAG_DATA_DIR, QDRANT_URL,
   * QDRANT_API_KEY, TOP_K, KEEP_TOP_K, EXPAND_N_QUERY, MMR_LAMBDA, CHUNK_SIZE, CHUNK_OVERLAP, MAX_INPUT_TOKENS,
   * EXPANSION_URL, EXPANSION_MODEL, EXPANSION_API_KEY, RAG_EMBEDDING_MODEL (int8|fp32).
   */
  public static RagConfig fromEnv(Map<String, String> env, Path defaultDataDir) {
    String store = env.getOrDefault("RAG_STORE", "embedded").strip().toUpperCase(Locale.ROOT);
    StoreType type;
    try {
      type = StoreType.valueOf(store);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("RAG_STORE must be embedded or qdrant, not " + env.get("RAG_STORE"));
    }
    String dataDir = env.get("RAG_DATA_DIR");
    return new RagConfig(type, dataDir == null || dataDir.isBlank() ? defaultDataDir : Path.of(dataDir),
        env.get("QDRANT_URL"), env.get("QDRANT_API_KEY"), null,
        integer(env, "TOP_K", TOP_K), integer(env, "KEEP_TOP_K", KEEP_TOP_K), integer(env, "EXPAND_N_QUERY", EXPAND_N_QUERY),
        decimal(env, "MMR_LAMBDA", MMR_LAMBDA), integer(env, "CHUNK_SIZE", CHUNK_SIZE),
        integer(env, "CHUNK_OVERLAP", CHUNK_OVERLAP), integer(env, "MAX_INPUT_TOKENS", MAX_INPUT_TOKENS),
        env.get("EXPANSION_URL"), env.get("EXPANSION_MODEL"), env.get("EXPANSION_API_KEY"), null,
        BgeSmallModel.parse(env.get("RAG_EMBEDDING_MODEL")));
  }

  public RagConfig withQdrant(String url, String apiKey) {
    return new RagConfig(StoreType.QDRANT, dataDir, url, apiKey, storeTimeout, topK, keepTopK, expandN, mmrLambda,
        chunkSize, chunkOverlap, maxInputTokens, expansionUrl, expansionModel, expansionApiKey, expansionTimeout,
        embeddingModel);
  }

  public RagConfig withExpansion(String url, String model, int n, Duration timeout) {
    return new RagConfig(store, dataDir, qdrantUrl, qdrantApiKey, storeTimeout, topK, keepTopK, n, mmrLambda,
        chunkSize, chunkOverlap, maxInputTokens, url, model, expansionApiKey, timeout, embeddingModel);
  }

  public RagConfig withChunking(int size, int overlap) {
    return new RagConfig(store, dataDir, qdrantUrl, qdrantApiKey, storeTimeout, topK, keepTopK, expandN, mmrLambda,
        size, overlap, maxInputTokens, expansionUrl, expansionModel, expansionApiKey, expansionTimeout,
        embeddingModel);
  }

  public RagConfig withMaxInputTokens(int tokens) {
    return new RagConfig(store, dataDir, qdrantUrl, qdrantApiKey, storeTimeout, topK, keepTopK, expandN, mmrLambda,
        chunkSize, chunkOverlap, tokens, expansionUrl, expansionModel, expansionApiKey, expansionTimeout,
        embeddingModel);
  }

  public RagConfig withEmbeddingModel(BgeSmallModel model) {
    return new RagConfig(store, dataDir, qdrantUrl, qdrantApiKey, storeTimeout, topK, keepTopK, expandN, mmrLambda,
        chunkSize, chunkOverlap, maxInputTokens, expansionUrl, expansionModel, expansionApiKey, expansionTimeout, model);
  }

  /** Query expansion runs only with an endpoint and more than one query asked for. */
  public boolean expansionEnabled() {
    return expansionUrl != null && expandN > 1;
  }

  private static int integer(Map<String, String> env, String name, int fallback) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, not " + value);
    }
  }

  private static double decimal(Map<String, String> env, String name, double fallback) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Double.parseDouble(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number, not " + value);
    }
  }

  private static URI uri(String value, String what) {
    try {
      return URI.create(value.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " is not a URL: " + value);
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
