package dev.twinmesh.app;

import dev.twinmesh.embedded.EmbeddedKafka;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A real Kafka broker for tests that must take it away and bring it back: a Testcontainers Kafka where a
 * Docker engine answers (an outage is a paused container), the in-JVM KRaft broker elsewhere (an outage
 * is a shutdown, and the restart comes back on the same port with the same log directory).
 */
abstract class TestKafka implements AutoCloseable {
  abstract String bootstrapServers();

  /** The broker stops answering; clients see connection failures. */
  abstract void outage();

  /** The broker answers again, with every record it had. */
  abstract void recover();

  static TestKafka start(Path dataDir) {
    return DockerClientFactory.instance().isDockerAvailable() ? new Container() : new Embedded(dataDir);
  }

  void createTopics(Map<String, Integer> partitions) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers()))) {
      var existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = partitions.entrySet().stream().filter(e -> !existing.contains(e.getKey()))
          .map(e -> new NewTopic(e.getKey(), e.getValue(), (short) 1)).toList();
      admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create topics " + partitions.keySet(), e);
    }
  }

  private static final class Embedded extends TestKafka {
    private final Path dir;
    private final int port;
    private final String bootstrap;
    private EmbeddedKafka broker = new EmbeddedKafka();

    Embedded(Path dir) {
      this.dir = dir;
      this.bootstrap = broker.start(dir, 0);
      this.port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
    }

    @Override
    String bootstrapServers() {
      return bootstrap;
    }

    @Override
    void outage() {
      broker.close();
    }

    @Override
    void recover() {
      broker = new EmbeddedKafka();
      broker.start(dir, port);
    }

    @Override
    public void close() {
      broker.close();
    }
  }

  private static final class Container extends TestKafka {
    private final KafkaContainer kafka = new KafkaContainer("apache/kafka:4.1.0");

    Container() {
      kafka.start();
    }

    @Override
    String bootstrapServers() {
      return kafka.getBootstrapServers();
    }

    @Override
    void outage() {
      DockerClientFactory.instance().client().pauseContainerCmd(kafka.getContainerId()).exec();
    }

    @Override
    void recover() {
      DockerClientFactory.instance().client().unpauseContainerCmd(kafka.getContainerId()).exec();
    }

    @Override
    public void close() {
      kafka.stop();
    }
  }
}
