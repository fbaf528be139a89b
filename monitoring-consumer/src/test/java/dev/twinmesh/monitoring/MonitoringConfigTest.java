package dev.twinmesh.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.twinmesh.common.Names;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class MonitoringConfigTest {
  private static JsonObject minimal() {
    return new JsonObject()
        .put("kafka_bootstrap_servers", "127.0.0.1:9092")
        .put("pg_host", "db")
        .put("pg_database", "twinmesh")
        .put("pg_user", "twin")
        .put("pg_password", "s3cret");
  }

  @Test
  void fromJsonFillsDefaults() {
    MonitoringConfig config = MonitoringConfig.fromJson(minimal());
    assertEquals(MonitoringConfig.DEFAULT_GROUP_ID, config.groupId());
    assertEquals(Names.TOPIC_TRACES, config.topic());
    assertEquals(5432, config.pgPort());
    assertEquals(MonitoringConfig.DEFAULT_HTTP_PORT, config.httpPort());
  }

  @Test
  void missingOrOutOfRangeValuesAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> MonitoringConfig.fromJson(minimal().put("kafka_bootstrap_servers", " ")));
    assertThrows(IllegalArgumentException.class, () -> MonitoringConfig.fromJson(minimal().put("pg_port", 0)));
    assertThrows(IllegalArgumentException.class, () -> MonitoringConfig.fromJson(minimal().put("http_port", 70_000)));
    assertThrows(IllegalArgumentException.class, () -> MonitoringConfig.fromJson(minimal().putNull("pg_user")));
  }

  @Test
  void toStringKeepsThePasswordOut() {
    assertFalse(MonitoringConfig.fromJson(minimal()).toString().contains("s3cret"));
  }
}
