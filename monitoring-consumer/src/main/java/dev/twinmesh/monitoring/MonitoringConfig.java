package dev.twinmesh.monitoring;

import dev.twinmesh.common.Names;
import io.vertx.core.json.JsonObject;

/**
 * Everything the monitoring consumer needs, read once and validated. {@code httpPort} 0 lets the OS pick
 * a port (tests); the password may be empty (trust authentication).
 */
public record MonitoringConfig(
    String kafkaBootstrapServers,
    String groupId,
    String topic,
    String pgHost,
    int pgPort,
    String pgDatabase,
    String pgUser,
    String pgPassword,
    int httpPort) {

  public static final String DEFAULT_GROUP_ID = "twin-monitoring";
  public static final int DEFAULT_HTTP_PORT = 8091;

  public MonitoringConfig {
    requireText("kafkaBootstrapServers", kafkaBootstrapServers);
    requireText("groupId", groupId);
    requireText("topic", topic);
    requireText("pgHost", pgHost);
    requireText("pgDatabase", pgDatabase);
    requireText("pgUser", pgUser);
    if (pgPassword == null) {
      throw new IllegalArgumentException("pgPassword must not be null (use \"\" for none)");
    }
    if (pgPort < 1 || pgPort > 65_535) {
      throw new IllegalArgumentException("pgPort must be between 1 and 65535, got " + pgPort);
    }
    if (httpPort < 0 || httpPort > 65_535) {
      throw new IllegalArgumentException("httpPort must be between 0 and 65535, got " + httpPort);
    }
  }

  /**
   * Reads a JSON configuration whose keys are the field names in snake_case ({@code kafka_bootstrap_servers},
   * {@code group_id}, {@code topic}, {@code pg_host}, {@code pg_port}, {@code pg_database}, {@code pg_user},
   * {@code pg_password}, {@code http_port}). Group id, topic, password and HTTP port have defaults.
   */
  public static MonitoringConfig fromJson(JsonObject json) {
    return new MonitoringConfig(
        json.getString("kafka_bootstrap_servers"),
        json.getString("group_id", DEFAULT_GROUP_ID),
        json.getString("topic", Names.TOPIC_TRACES),
        json.getString("pg_host"),
        json.getInteger("pg_port", 5432),
        json.getString("pg_database"),
        json.getString("pg_user"),
        json.getString("pg_password", ""),
        json.getInteger("http_port", DEFAULT_HTTP_PORT));
  }

  /** The password is left out: this string ends up in logs. */
  @Override
  public String toString() {
    return "MonitoringConfig[kafka=" + kafkaBootstrapServers + ", group=" + groupId + ", topic=" + topic
        + ", pg=" + pgUser + "@" + pgHost + ":" + pgPort + "/" + pgDatabase + ", httpPort=" + httpPort + "]";
  }

  private static void requireText(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " is required");
    }
  }
}
