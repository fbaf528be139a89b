package dev.twinmesh.rag.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LuceneVectorStoreTest extends VectorStoreContractTest {
  @TempDir
  Path dir;

  @Override
  VectorStore openStore() {
    return new LuceneVectorStore(dir);
  }

  @Test
  void pointsSurviveARestart() {
    VectorPoint p = point("ada", 1, 0, 0, 0);
    store.upsert(collection, List.of(p));
    store.close();
    store = new LuceneVectorStore(dir);
    assertEquals(1, store.count(collection));
    assertEquals(p.id(), store.search(collection, new float[] {1, 0, 0, 0}, "ada", 1).get(0).id());
  }

  @Test
  void aSecondStoreOnTheSameDirectoryIsRefusedUntilTheFirstCloses() {
    StoreLockedException e = assertThrows(StoreLockedException.class, () -> new LuceneVectorStore(dir));
    assertEquals(dir, e.root());
    store.close();
    store = new LuceneVectorStore(dir);
    assertEquals(0, store.count(collection));
  }

  @Test
  void aVectorOfTheWrongSizeIsRefused() {
    assertThrows(VectorStoreException.class, () -> store.upsert(collection, List.of(point("ada", 1, 0))));
  }

  @Test
  void collectionNamesCannotEscapeTheDirectory() {
    assertThrows(VectorStoreException.class, () -> store.ensureCollection("../etc", DIM, Distance.COSINE));
  }
}
