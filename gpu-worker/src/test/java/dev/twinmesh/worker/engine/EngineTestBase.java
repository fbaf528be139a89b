package dev.twinmesh.worker.engine;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** One tiny checkpoint and model per test class, shared by the engines its tests build. */
abstract class EngineTestBase {
  @TempDir
  static Path dir;
  static EngineFixture fixture;

  @BeforeAll
  static void loadFixture() {
    fixture = EngineFixture.load(dir);
  }

  @AfterAll
  static void closeFixture() {
    fixture.close();
  }
}
