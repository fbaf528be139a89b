package dev.twinmesh.app;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "up", mixinStandardHelpOptions = true,
    description = {
        "Runs the whole mesh in this JVM with nothing else installed: an embedded Kafka broker (KRaft),",
        "embedded PostgreSQL, one gpu-worker (CPU unless a GPU is seen), the gateway and RAG verticles,",
        "and the monitoring consumer. Without --model it generates, once, a random-weight checkpoint",
        "(smollm2-135m shape) in the data directory: it streams real tokens, but they are noise.",
        "Ctrl-C stops everything; a second 'up' reuses the data directory."})
final class UpCommand implements Callable<Integer> {

  @Option(names = "--data-dir", defaultValue = "${env:TWIN_MESH_HOME:-${sys:user.home}/.twin-mesh}",
      description = "Where Kafka, PostgreSQL and generated models keep their files. Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(names = "--model", defaultValue = "${env:TWIN_MESH_MODEL}",
      description = "A local Hugging Face checkpoint directory (config.json, *.safetensors, tokenizer.json).")
  Path model;

  @Option(names = "--random-preset", defaultValue = "smollm2-135m",
      description = "Shape of the random checkpoint used when no --model is given: tiny, smollm2-135m, llama-3.2-1b, llama-3.1-8b. Default: ${DEFAULT-VALUE}.")
  String preset;

  @Option(names = "--served-model-name", defaultValue = "${env:TWIN_MESH_MODEL_NAME:-twin}",
      description = "The model name clients ask for. Default: ${DEFAULT-VALUE}.")
  String servedModelName;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address every service binds. Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "Gateway port (the OpenAI API). Default: ${DEFAULT-VALUE}.")
  int gatewayPort;

  @Option(names = "--worker-port", defaultValue = "8081", description = "Worker port. Default: ${DEFAULT-VALUE}.")
  int workerPort;

  @Option(names = "--monitor-port", defaultValue = "8090", description = "Monitoring port (/api/traces). Default: ${DEFAULT-VALUE}.")
  int monitorPort;

  @Option(names = "--kafka-port", defaultValue = "9092", description = "Embedded Kafka port. Default: ${DEFAULT-VALUE}.")
  int kafkaPort;

  @Option(names = "--postgres-port", defaultValue = "0", description = "Embedded PostgreSQL port; 0 picks a free one. Default: ${DEFAULT-VALUE}.")
  int postgresPort;

  @Mixin
  RuntimeOptions runtime;

  @Mixin
  ApiKeyOptions apiKeys;

  @Override
  public Integer call() throws Exception {
    LocalMesh mesh = LocalMesh.start(new LocalMesh.Settings(dataDir, model, preset, servedModelName, host,
        gatewayPort, workerPort, monitorPort, kafkaPort, postgresPort, runtime.toRuntime(), apiKeys.keys()));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println("twin-mesh: stopping...");
      mesh.close();
      stopped.countDown();
    }, "twin-mesh-shutdown"));
    System.out.println();
    System.out.println("twin-mesh is up (model: " + mesh.modelDir() + ")");
    System.out.println("  chat page          " + mesh.gatewayUrl() + "/");
    System.out.println("  chat API (OpenAI)  " + mesh.gatewayUrl() + "/v1/chat/completions");
    System.out.println("  models             " + mesh.gatewayUrl() + "/v1/models");
    System.out.println("  worker             " + mesh.workerUrl() + "/info");
    System.out.println("  dashboard          " + mesh.monitorUrl() + "/");
    System.out.println("  traces             " + mesh.monitorUrl() + "/api/traces");
    System.out.println("  async jobs         " + mesh.gatewayUrl() + "/v1/jobs (and Kafka twin.jobs.requests.v1)");
    System.out.println("  kafka              " + mesh.kafkaBootstrap());
    System.out.println("Try: curl -N " + mesh.gatewayUrl() + "/v1/chat/completions -H 'content-type: application/json' "
        + "-d '{\"model\":\"" + servedModelName + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Write about RAG\"}]}'");
    System.out.println("Ctrl-C stops everything.");
    stopped.await();
    return 0;
  }
}
