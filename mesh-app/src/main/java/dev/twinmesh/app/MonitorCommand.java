package dev.twinmesh.app;

import dev.twinmesh.common.Names;
import dev.twinmesh.monitoring.MonitoringConfig;
import dev.twinmesh.monitoring.MonitoringVerticle;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "monitor", mixinStandardHelpOptions = true,
    description = {
        "Runs the monitoring consumer: reads every prompt trace from Kafka (twin.traces.v1) in a consumer",
        "group, stores it in PostgreSQL, and serves it: the dashboard on /, GET /api/traces (filters),",
        "GET /api/traces/{id}, GET /api/stats (charts over time), and its own Prometheus /metrics."})
final class MonitorCommand implements Callable<Integer> {

  @Option(names = "--kafka", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
      description = "Kafka bootstrap servers. Default: ${DEFAULT-VALUE}.")
  String kafka;

  @Option(names = "--group", defaultValue = "twin-monitoring", description = "Consumer group. Default: ${DEFAULT-VALUE}.")
  String group;

  @Option(names = "--pg-host", defaultValue = "${env:PGHOST:-127.0.0.1}", description = "PostgreSQL host. Default: ${DEFAULT-VALUE}.")
  String pgHost;

  @Option(names = "--pg-port", defaultValue = "${env:PGPORT:-5432}", description = "PostgreSQL port. Default: ${DEFAULT-VALUE}.")
  int pgPort;

  @Option(names = "--pg-database", defaultValue = "${env:PGDATABASE:-twinmesh}", description = "Database. Default: ${DEFAULT-VALUE}.")
  String pgDatabase;

  @Option(names = "--pg-user", defaultValue = "${env:PGUSER:-postgres}", description = "User. Default: ${DEFAULT-VALUE}.")
  String pgUser;

  @Option(names = "--pg-password", defaultValue = "${env:PGPASSWORD:-}", description = "Password (better: the PGPASSWORD variable).")
  String pgPassword;

  @Option(names = "--port", defaultValue = "${env:TWIN_MESH_PORT:-8090}", description = "Port. Default: ${DEFAULT-VALUE}.")
  int port;

  @Override
  public Integer call() throws Exception {
    Vertx vertx = Vertx.vertx();
    MonitoringVerticle monitor = new MonitoringVerticle(new MonitoringConfig(kafka, group, Names.TOPIC_TRACES,
        pgHost, pgPort, pgDatabase, pgUser, pgPassword, port));
    vertx.deployVerticle(monitor).await(2, TimeUnit.MINUTES);
    System.out.println("monitoring on port " + monitor.actualHttpPort() + ": dashboard /, /api/traces, /api/stats, /metrics");
    return ServiceRunner.runUntilStopped(vertx);
  }
}
