package dev.twinmesh.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka (KRaft, broker and controller in one process) that runs inside this JVM, for
 * {@code twin-mesh up} and for tests. Its log directory persists: a second start on the same directory
 * keeps the cluster id, the topics and their records.
 *
 * <p>Usage: {@code new EmbeddedKafka()}, {@link #start(Path, int)}, then {@link #close()} (safe to call
 * after a failed start, and more than once). Every method blocks (start takes a few seconds): call them
 * from a main or worker thread, never from an event loop.
 *
 * <p>The broker logs a great deal at INFO under the loggers {@code kafka}, {@code org.apache.kafka} and
 * {@code state.change.logger}; an application that embeds it should set them to WARN.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int NODE_ID = 1;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
  private static final int START_ATTEMPTS = 3;

  private KafkaRaftServer server;
  private String bootstrapServers;
  private String clusterId;
  private boolean closed;

  /**
   * Starts the broker on {@code dataDir} (created and formatted on first use) listening on
   * {@code 127.0.0.1:port}; port 0 picks a free port. Blocks until the broker answers admin requests.
   *
   * @return the bootstrap servers string, as {@link #bootstrapServers()} returns it afterwards
   */
  public synchronized String start(Path dataDir, int port) {
    if (server != null || closed) {
      throw new IllegalStateException("an EmbeddedKafka starts once; create a new one to start again");
    }
    for (int attempt = 1; ; attempt++) {
      int brokerPort = FreePorts.resolve(port);
      // The controller listener is internal; a static voter entry needs its port up front, so pick one.
      int controllerPort = FreePorts.pick();
      try {
        return startOnce(dataDir, brokerPort, controllerPort);
      } catch (RuntimeException e) {
        stopServer();
        // A port we picked can be taken by someone else before the broker binds it: pick again.
        boolean pickedPortTaken = isBindFailure(e) && (port == 0 || !mentionsPort(e, brokerPort));
        if (!pickedPortTaken || attempt == START_ATTEMPTS) {
          closed = true;
          throw e;
        }
        LOG.warn("A port picked for embedded Kafka was taken meanwhile; starting again on new ports");
      }
    }
  }

  private String startOnce(Path dataDir, int brokerPort, int controllerPort) {
    try {
      Files.createDirectories(dataDir);
      Properties props = brokerProperties(dataDir, brokerPort, controllerPort);
      clusterId = readClusterId(dataDir);
      if (clusterId == null) {
        clusterId = Uuid.randomUuid().toString();
        format(props, clusterId);
      }
      server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
      server.startup();
      bootstrapServers = "127.0.0.1:" + brokerPort;
      awaitReady();
      LOG.info("Embedded Kafka (cluster {}) ready on {} with data in {}", clusterId, bootstrapServers, dataDir);
      return bootstrapServers;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded Kafka in " + dataDir, e);
    }
  }

  /** {@code host:port} of the broker's plaintext listener. */
  public synchronized String bootstrapServers() {
    if (bootstrapServers == null) {
      throw new IllegalStateException("embedded Kafka is not started");
    }
    return bootstrapServers;
  }

  /** The cluster id, kept in the data directory's meta.properties across restarts. */
  public synchronized String clusterId() {
    return clusterId;
  }

  /**
   * Creates the topics that do not exist yet, each with the given partition count and replication 1.
   * Topics that already exist are left as they are, so calling this on every start is safe.
   */
  public void createTopics(Map<String, Integer> partitions) {
    try (Admin admin = Admin.create(adminProperties(bootstrapServers()))) {
      Set<String> existing = admin.listTopics().names().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = partitions.entrySet().stream()
          .filter(entry -> !existing.contains(entry.getKey()))
          .map(entry -> new NewTopic(entry.getKey(), entry.getValue(), (short) 1))
          .toList();
      if (missing.isEmpty()) {
        return;
      }
      for (var result : admin.createTopics(missing).values().entrySet()) {
        awaitCreated(result.getKey(), result.getValue());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot list topics on " + bootstrapServers, e);
    }
  }

  /** Stops the broker and controller and waits until they are down. Safe after a failed start. */
  @Override
  public synchronized void close() {
    closed = true;
    stopServer();
  }

  private void stopServer() {
    bootstrapServers = null;
    if (server == null) {
      return;
    }
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      LOG.warn("Embedded Kafka did not shut down cleanly", e);
    } finally {
      server = null;
    }
  }

  private static boolean isBindFailure(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof BindException) {
        return true;
      }
    }
    return false;
  }

  private static boolean mentionsPort(Throwable e, int port) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause.getMessage() != null && cause.getMessage().contains(":" + port + ":")) {
        return true;
      }
    }
    return false;
  }

  private static void awaitCreated(String topic, org.apache.kafka.common.KafkaFuture<Void> created)
      throws InterruptedException, TimeoutException {
    try {
      created.get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      // Another caller may have created it between our listing and our request: that is success too.
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create topic " + topic, e.getCause());
      }
    }
  }

  private Properties brokerProperties(Path dataDir, int brokerPort, int controllerPort) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", dataDir.toAbsolutePath().toString());
    // One node: every internal topic must be satisfiable by a single replica.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("share.coordinator.state.topic.num.partitions", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    // The cleaner's default 128 MiB dedupe buffer would dominate the heap of a one-JVM mesh.
    p.put("log.cleaner.dedupe.buffer.size", "2097152");
    // Nobody else joins a group here; waiting 3 s for more members only delays the first poll.
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "2");
    return p;
  }

  private static String readClusterId(Path dataDir) throws IOException {
    Path meta = dataDir.resolve("meta.properties");
    if (!Files.exists(meta)) {
      return null;
    }
    Properties props = new Properties();
    try (Reader reader = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
      props.load(reader);
    }
    String id = props.getProperty("cluster.id");
    if (id == null || id.isBlank()) {
      throw new IllegalStateException(meta + " has no cluster.id; remove the directory to start afresh");
    }
    return id;
  }

  private static void format(Properties props, String clusterId) throws IOException {
    // StorageTool reads its configuration from a file; main() would exit the JVM, execute() returns a code.
    Path config = Files.createTempFile("twin-mesh-kafka", ".properties");
    try {
      try (Writer writer = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
        props.store(writer, "twin-mesh embedded Kafka");
      }
      ByteArrayOutputStream output = new ByteArrayOutputStream();
      int code = runStorageTool(output, "format", "--cluster-id", clusterId, "--config", config.toString());
      String printed = output.toString(StandardCharsets.UTF_8).strip();
      if (code != 0) {
        throw new IllegalStateException("formatting the Kafka log directory failed (" + code + "): " + printed);
      }
      LOG.debug("Formatted Kafka storage: {}", printed);
    } finally {
      Files.deleteIfExists(config);
    }
  }

  private static int runStorageTool(ByteArrayOutputStream output, String... args) {
    try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      return StorageTool.execute(args, out);
    } catch (Exception e) {
      // Scala code throws checked exceptions it does not declare (argument parsing, I/O).
      throw new IllegalStateException("formatting the Kafka log directory failed: " + e.getMessage(), e);
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    try (Admin admin = Admin.create(adminProperties(bootstrapServers))) {
      while (true) {
        try {
          // A broker that lists its nodes has registered with the controller and is unfenced.
          if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("embedded Kafka not ready after " + READY_TIMEOUT, e);
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("embedded Kafka not ready after " + READY_TIMEOUT);
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for embedded Kafka", e);
    }
  }

  private static Properties adminProperties(String bootstrapServers) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "twin-mesh-embedded-admin");
    return p;
  }
}
