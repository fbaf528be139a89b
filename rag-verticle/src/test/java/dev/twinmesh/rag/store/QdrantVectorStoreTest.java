package dev.twinmesh.rag.store;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.qdrant.QdrantContainer;

/**
 * The contract against a real Qdrant: the one at QDRANT_URL (gRPC, e.g. http://localhost:6334), else one in
 * Docker through Testcontainers, else skipped.
 */
class QdrantVectorStoreTest extends VectorStoreContractTest {
  static final String IMAGE = "qdrant/qdrant:v1.15.5";
  private static QdrantContainer container;
  private static Boolean docker;

  @Override
  VectorStore openStore() {
    return new QdrantVectorStore(qdrantUrl(), System.getenv("QDRANT_API_KEY"), Duration.ofSeconds(10));
  }

  static synchronized String qdrantUrl() {
    String url = System.getenv("QDRANT_URL");
    if (url != null && !url.isBlank()) {
      return url;
    }
    if (container == null) {
      Assumptions.assumeTrue(dockerAvailable(), "no Qdrant reachable: set QDRANT_URL (gRPC, e.g. http://localhost:6334)"
          + " or run where Docker is available");
      container = new QdrantContainer(IMAGE);
      container.start();
    }
    return "http://" + container.getGrpcHostAddress();
  }

  private static boolean dockerAvailable() {
    if (docker == null) {
      try {
        docker = DockerClientFactory.instance().isDockerAvailable();
      } catch (RuntimeException e) {
        docker = false;
      }
    }
    return docker;
  }

  @AfterAll
  static void stopContainer() {
    if (container != null) {
      container.stop();
      container = null;
    }
  }
}
