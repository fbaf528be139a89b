package dev.twinmesh.worker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MallocArenasTest {

  @Test
  void aCpuEngineOnLinuxWithoutTheVariableIsToldHowToStartTheJvm() {
    Optional<String> advice = MallocArenas.advice(true, "Linux", Map.of("PATH", "/usr/bin"));
    assertTrue(advice.isPresent());
    assertTrue(advice.get().contains("MALLOC_ARENA_MAX=1"), advice.get());
  }

  @Test
  void nothingIsSaidWhenTheVariableIsSetWhateverItsValue() {
    assertEquals(Optional.empty(), MallocArenas.advice(true, "Linux", Map.of("MALLOC_ARENA_MAX", "2")));
  }

  @Test
  void nothingIsSaidForAGpuEngineOrAnotherSystem() {
    assertEquals(Optional.empty(), MallocArenas.advice(false, "Linux", Map.of()));
    assertEquals(Optional.empty(), MallocArenas.advice(true, "Mac OS X", Map.of()));
  }
}
