package dev.twinmesh.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {
  @TempDir static Path dataDir;
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = new EmbeddedKafka();
    kafka.start(dataDir, 0);
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @Test
  void recordProducedToCreatedTopicIsConsumed() throws Exception {
    kafka.createTopics(Map.of("twin.test.roundtrip", 2));

    produce("twin.test.roundtrip", "trace-1", "{\"hello\":\"twin\"}");

    List<ConsumerRecord<String, String>> records = readAll("twin.test.roundtrip", 2, 1);
    assertEquals("trace-1", records.get(0).key());
    assertEquals("{\"hello\":\"twin\"}", records.get(0).value());
  }

  @Test
  void createTopicsLeavesExistingTopicsAlone() throws Exception {
    kafka.createTopics(Map.of("twin.test.twice", 3));
    kafka.createTopics(Map.of("twin.test.twice", 5, "twin.test.other", 1));

    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      var description = admin.describeTopics(List.of("twin.test.twice")).allTopicNames().get().get("twin.test.twice");
      assertEquals(3, description.partitions().size());
      assertTrue(admin.listTopics().names().get().contains("twin.test.other"));
    }
  }

  @Test
  void restartOnSameDirectoryKeepsClusterTopicsAndRecords() throws Exception {
    kafka.createTopics(Map.of("twin.test.durable", 1));
    produce("twin.test.durable", "kept", "still here");
    String clusterId = kafka.clusterId();

    kafka.close();
    kafka = new EmbeddedKafka();
    kafka.start(dataDir, 0);

    assertEquals(clusterId, kafka.clusterId());
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      assertTrue(admin.listTopics().names().get().contains("twin.test.durable"));
    }
    List<ConsumerRecord<String, String>> records = readAll("twin.test.durable", 1, 1);
    assertEquals("kept", records.get(0).key());
    assertEquals("still here", records.get(0).value());
  }

  @Test
  void failedStartCanBeClosed(@TempDir Path otherDir) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      EmbeddedKafka blocked = new EmbeddedKafka();
      assertThrows(RuntimeException.class, () -> blocked.start(otherDir, taken.getLocalPort()));
      blocked.close();
      blocked.close();
    }
  }

  private static void produce(String topic, String key, String value) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    }
  }

  private static List<ConsumerRecord<String, String>> readAll(String topic, int partitions, int expected) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> assigned = new ArrayList<>();
      for (int i = 0; i < partitions; i++) {
        assigned.add(new TopicPartition(topic, i));
      }
      consumer.assign(assigned);
      consumer.seekToBeginning(assigned);
      List<ConsumerRecord<String, String>> records = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (records.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      assertEquals(expected, records.size(), "records read back from " + topic);
      return records;
    }
  }
}
