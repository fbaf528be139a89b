package dev.twinmesh.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Dockerfiles, read as text (no Docker engine here): what every image promises, and what the CUDA one adds. */
class ImagesTest {
  static final Map<String, String> COMMAND_OF_IMAGE = Map.of("twin-mesh/business", "gateway", "twin-mesh/monitoring", "monitor",
      "twin-mesh/worker-cpu", "worker", "twin-mesh/worker-cuda", "worker");

  @ParameterizedTest
  @ValueSource(strings = {"twin-mesh/business", "twin-mesh/monitoring", "twin-mesh/worker-cpu", "twin-mesh/worker-cuda"})
  void everyImageIsBuiltFromMavenRunsAsNonRootAndSizesItsHeapFromTheContainer(String image) {
    Dockerfile f = Dockerfile.forImage(image);
    assertTrue(f.fromImages().size() >= 2, image + ": a multi-stage build");
    assertTrue(f.fromImages().get(0).startsWith("eclipse-temurin:17-jdk"), image + " builds on a JDK 17");
    String build = String.join("\n", f.runsOfStage(0));
    assertTrue(build.contains("./mvnw -B -ntp -DskipTests") && build.contains("package -pl mesh-app -am"), image + " builds the jar with the wrapper");
    assertTrue(f.user() != null && f.user().matches("[1-9][0-9]*:[1-9][0-9]*"), image + ": a numeric non-root USER, got " + f.user());
    assertTrue(f.env().getOrDefault("JAVA_TOOL_OPTIONS", "").matches(".*-XX:MaxRAMPercentage=\\d+.*"), image + ": heap from the container's memory");
    assertNotNull(f.healthcheck(), image + " has a HEALTHCHECK");
    assertEquals(List.of("java", "-jar", "/app/twin-mesh.jar"), f.entrypoint());
    assertEquals(COMMAND_OF_IMAGE.get(image), TwinMeshArgs.parse(f.cmd(), f.env()).command(), image + " CMD");
    assertTrue(Files.exists(Path.of(f.path() + ".dockerignore")), image + ": a Dockerfile-specific .dockerignore");
  }

  @Test
  void theCudaWorkerRunsOnCuda124WithTheCu124NativesBakedIn() throws Exception {
    Dockerfile cuda = Dockerfile.forImage("twin-mesh/worker-cuda");
    assertTrue(cuda.fromImages().get(cuda.fromImages().size() - 1).startsWith("nvidia/cuda:12.4"), "a CUDA 12.4 runtime base");
    List<String> build = cuda.runsOfStage(0);
    assertTrue(build.stream().anyMatch(r -> r.contains("-Pcuda")), "the Maven cuda profile switches the natives");
    String rootPom = Files.readString(DeployFiles.root().resolve("pom.xml"));
    assertTrue(rootPom.matches("(?s).*<id>cuda</id>\\s*<properties>\\s*<pytorch.native.artifact>pytorch-native-cu124</pytorch.native.artifact>.*"),
        "the cuda profile selects pytorch-native-cu124");
    assertEquals("cuda", cuda.env().get("TWIN_MESH_DEVICE"));
    assertEquals("cpu", Dockerfile.forImage("twin-mesh/worker-cpu").env().get("TWIN_MESH_DEVICE"));
  }

  @Test
  void theCpuWorkerStartsWithOneMallocArena() {
    assertEquals("1", Dockerfile.forImage("twin-mesh/worker-cpu").env().get("MALLOC_ARENA_MAX"),
        "per-thread arenas fault the engine's step tensors in again every step");
  }

  @Test
  void theCpuWorkerAsksForHugePagesForItsLargeTensors() {
    assertEquals("1", Dockerfile.forImage("twin-mesh/worker-cpu").env().get("THP_MEM_ALLOC_ENABLE"),
        "4 KiB pages cost a page-table walk per key and value row a decode step reads");
  }

  @ParameterizedTest
  @ValueSource(strings = {"twin-mesh/worker-cpu PyTorch", "twin-mesh/worker-cuda PyTorch", "twin-mesh/business OnnxRuntime"})
  void imagesUnpackTheirDjlNativesAtBuildTimeWhereTheyLookAtRunTime(String imageAndEngine) {
    String image = imageAndEngine.split(" ")[0];
    Dockerfile f = Dockerfile.forImage(image);
    assertTrue(f.runsOfStage(0).stream().anyMatch(r -> r.contains("docker/WarmDjl.java " + imageAndEngine.split(" ")[1])),
        image + " runs WarmDjl for its engine while building");
    String text = read(f.path());
    assertTrue(text.contains("ENV ENGINE_CACHE_DIR=/opt/djl/engines DJL_CACHE_DIR=/opt/djl/cache"), "the build unpacks into /opt/djl");
    assertTrue(text.contains("COPY --from=build /opt/djl /opt/djl"));
    assertEquals("/opt/djl/engines", f.env().get("ENGINE_CACHE_DIR"));
    assertTrue(f.env().get("JAVA_TOOL_OPTIONS").contains("-Dai.djl.offline=true"), "DJL never downloads at start");
  }

  @Test
  void theWarmUpStepCompilesAgainstTheJarsItRunsWith(@TempDir Path out) {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int status = javac.run(null, null, null, "-d", out.toString(), "-cp", System.getProperty("java.class.path"),
        DeployFiles.docker().resolve("WarmDjl.java").toString());
    assertEquals(0, status, "WarmDjl.java compiles against DJL as the jar carries it");
  }

  @Test
  void dockerignoreKeepsBuildOutputAndGitOutOfTheContext() {
    for (String image : COMMAND_OF_IMAGE.keySet()) {
      String ignore = read(Path.of(Dockerfile.forImage(image).path() + ".dockerignore"));
      assertTrue(ignore.contains("**/target/") && ignore.contains(".git/"), image);
      assertFalse(ignore.lines().anyMatch(l -> l.strip().equals("docker/") || l.strip().equals("docker")), "WarmDjl.java is needed");
    }
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
