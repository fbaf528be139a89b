package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar as a user runs it ({@code java -jar twin-mesh.jar}, what {@code ./twin-mesh} does), in a
 * child JVM after {@code package}: the unit tests run on the test classpath, so a dependency that the jar
 * lacks (declared in test scope, dropped by the shade plugin) only shows here. Writes a tiny checkpoint,
 * runs {@code up} on free ports, streams a chat answer, finds its trace in the monitoring service, and
 * stops the mesh with SIGTERM. The child's output is kept in {@code target/runnable-jar-it/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RunnableJarIT {
  private static final Duration MODEL_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
  private static final String CHAT = "{\"model\":\"twin\",\"stream\":true,\"temperature\":0,\"max_tokens\":8,"
      + "\"ignore_eos\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Write about RAG\"}]}";
  /** What a jar missing a class, a service file or a native library prints, wherever it happens. */
  private static final Pattern BROKEN_JAR = Pattern.compile("ClassNotFoundException|NoClassDefFoundError"
      + "|NoSuchMethodError|NoSuchFieldError|AbstractMethodError|IncompatibleClassChangeError"
      + "|ServiceConfigurationError|UnsatisfiedLinkError|ExceptionInInitializerError");

  @TempDir
  static Path work;
  static Process mesh;
  static Path meshLog;
  static List<ProcessHandle> meshChildren = List.of();
  static String gatewayUrl;
  static String workerUrl;
  static String monitorUrl;
  static String traceId;
  static String streamedText;

  /** Prints the tail of the child's output next to any failure, also one in {@code @BeforeAll}. */
  @RegisterExtension
  static final ChildOutputOnFailure CHILD_OUTPUT = new ChildOutputOnFailure();

  @BeforeAll
  static void startTheJar() throws Exception {
    Path jar = Path.of(System.getProperty("twinmesh.jar", "target/twin-mesh.jar")).toAbsolutePath();
    assertTrue(Files.isRegularFile(jar), jar + " is missing: run this test through './mvnw verify' (after package)");
    Path outputDir = Path.of(System.getProperty("twinmesh.it.output", "target/runnable-jar-it")).toAbsolutePath();
    Files.createDirectories(outputDir);

    Path model = work.resolve("model");
    meshLog = outputDir.resolve("model-random.log");
    Process writer = java(meshLog, "-Dai.djl.offline=true", "-jar", jar.toString(), "model", "random",
        "--preset", "tiny", "--out", model.toString(), "--quiet");
    assertTrue(writer.waitFor(MODEL_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "model random did not finish in " + MODEL_TIMEOUT);
    assertEquals(0, writer.exitValue(), "model random failed");

    int[] ports = freePorts(5);
    gatewayUrl = "http://127.0.0.1:" + ports[0];
    workerUrl = "http://127.0.0.1:" + ports[1];
    monitorUrl = "http://127.0.0.1:" + ports[2];
    meshLog = outputDir.resolve("up.log");
    mesh = java(meshLog, "-Xmx1g", "-Dai.djl.offline=true", "-jar", jar.toString(), "up",
        "--model", model.toString(), "--data-dir", work.resolve("data").toString(), "--host", "127.0.0.1",
        "--port", "" + ports[0], "--worker-port", "" + ports[1], "--monitor-port", "" + ports[2],
        "--kafka-port", "" + ports[3], "--postgres-port", "" + ports[4],
        "--device", "cpu", "--threads", "1", "--kv-cache-memory", "64MiB");
    awaitGateway();
    meshChildren = mesh.descendants().collect(Collectors.toList());
  }

  @AfterAll
  static void stopWhatIsLeft() {
    if (mesh != null && mesh.isAlive()) {
      mesh.descendants().forEach(ProcessHandle::destroyForcibly);
      mesh.destroyForcibly();
    }
    meshChildren.forEach(ProcessHandle::destroyForcibly);
  }

  @Test
  @Order(1)
  void aChatAnswerStreamsFromTheJar() throws Exception {
    HttpResponse<String> response = MeshHttp.post(gatewayUrl + "/v1/chat/completions", CHAT);
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    traceId = response.headers().firstValue("x-twin-trace-id").orElseThrow();
    String raw = response.body();
    assertTrue(raw.endsWith("data: [DONE]\n\n"), "the stream ends with [DONE]: " + raw);

    List<JsonObject> chunks = new ArrayList<>();
    for (String event : raw.substring(0, raw.length() - "data: [DONE]\n\n".length()).split("\n\n")) {
      assertTrue(event.startsWith("data: "), "one data line per event: " + event);
      chunks.add(new JsonObject(event.substring("data: ".length())));
    }
    assertEquals("assistant", delta(chunks.get(0)).getString("role"), "the first chunk carries the role");
    StringBuilder text = new StringBuilder();
    chunks.forEach(chunk -> text.append(delta(chunk).getString("content", "")));
    assertFalse(text.isEmpty(), "8 tokens decode to some text");
    JsonObject last = chunks.get(chunks.size() - 1).getJsonArray("choices").getJsonObject(0);
    assertEquals("length", last.getString("finish_reason"));
    streamedText = text.toString();
  }

  @Test
  @Order(2)
  void itsTraceReachesTheMonitoringService() throws Exception {
    JsonObject trace = MeshHttp.awaitJson(monitorUrl + "/api/traces/" + traceId, Duration.ofSeconds(60));
    assertEquals(streamedText, trace.getString("answer"));
    HttpResponse<String> list = MeshHttp.get(monitorUrl + "/api/traces");
    assertEquals(200, list.statusCode());
    assertTrue(list.body().contains(traceId), "the trace list shows it");
  }

  @Test
  @Order(3)
  void theWorkerIsHealthy() throws Exception {
    assertEquals(200, MeshHttp.get(workerUrl + "/health").statusCode());
  }

  @Test
  @Order(4)
  void sigtermStopsEverythingWithinAMinute() throws Exception {
    mesh.destroy();
    assertTrue(mesh.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "still running " + STOP_TIMEOUT + " after SIGTERM");
    assertEquals(143, mesh.exitValue(), "a JVM stopped by SIGTERM after its shutdown hooks exits with 128 + 15");
    assertTrue(output().contains("twin-mesh: stopping..."), "the shutdown hook ran");
    List<ProcessHandle> left = meshChildren.stream().filter(ProcessHandle::isAlive).collect(Collectors.toList());
    assertTrue(left.isEmpty(), "left running after the mesh stopped: " + left.stream()
        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).collect(Collectors.joining(", ")));
  }

  @Test
  @Order(5)
  void theOutputShowsNoMissingClassOrLibrary() throws Exception {
    assertNoBrokenJarLines();
  }

  private static void assertNoBrokenJarLines() throws IOException {
    List<String> broken = output().lines().filter(line -> BROKEN_JAR.matcher(line).find()).collect(Collectors.toList());
    assertTrue(broken.isEmpty(), "the jar looks broken:\n" + String.join("\n", broken));
  }

  private static JsonObject delta(JsonObject chunk) {
    return chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
  }

  /** Runs {@code java} from the JDK running this test, output and errors into one file. */
  private static Process java(Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    // the options read TWIN_MESH_* (API keys, model, threads): the test passes its own
    builder.environment().keySet().removeIf(name -> name.startsWith("TWIN_MESH_"));
    return builder.start();
  }

  /** Distinct free ports: all held open at once, then released for the child to bind. */
  private static int[] freePorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      }
      return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  /** Polls {@code /v1/models} until the gateway answers; gives up at once if the child has died or broken. */
  private static void awaitGateway() throws Exception {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!mesh.isAlive()) {
        throw new AssertionError("twin-mesh up exited with " + mesh.exitValue() + " before it was ready");
      }
      assertNoBrokenJarLines();
      try {
        if (MeshHttp.get(gatewayUrl + "/v1/models").statusCode() == 200) {
          return;
        }
      } catch (IOException notListeningYet) {
        // the gateway starts last
      }
      Thread.sleep(500);
    }
    throw new AssertionError("the gateway did not answer within " + READY_TIMEOUT);
  }

  private static String output() throws IOException {
    return Files.readString(meshLog, StandardCharsets.UTF_8);
  }

  static final class ChildOutputOnFailure implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {
    private static final int TAIL_LINES = 80;

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
      printTail();
      throw failure;
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
      printTail();
      throw failure;
    }

    private static void printTail() {
      if (meshLog == null || !Files.exists(meshLog)) {
        return;
      }
      try {
        List<String> lines = Files.readAllLines(meshLog, StandardCharsets.UTF_8);
        System.err.println("---- last " + TAIL_LINES + " lines of " + meshLog + " ----");
        lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()).forEach(System.err::println);
        System.err.println("---- end of " + meshLog + " ----");
      } catch (IOException e) {
        System.err.println("cannot read " + meshLog + ": " + e);
      }
    }
  }
}
