package dev.twinmesh.app;

import dev.twinmesh.worker.WorkerService;
import dev.twinmesh.worker.WorkerSettings;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "worker", mixinStandardHelpOptions = true,
    description = {
        "Runs one gpu-worker: loads a Hugging Face Llama-family checkpoint with DJL (PyTorch; CUDA when a GPU",
        "is seen, else CPU) and serves it over an OpenAI-compatible API, plus /health, /info and /metrics.",
        "Any OpenAI client can call it directly; the gateway fronts many of them."})
final class WorkerCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, defaultValue = "${env:TWIN_MESH_MODEL}",
      description = "Checkpoint directory (config.json, model.safetensors or a sharded index, tokenizer.json).")
  Path model;

  @Option(names = "--served-model-name", defaultValue = "${env:TWIN_MESH_MODEL_NAME:-twin}",
      description = "The model name clients ask for. Default: ${DEFAULT-VALUE}.")
  String servedModelName;

  @Option(names = "--host", defaultValue = "${env:TWIN_MESH_HOST:-0.0.0.0}", description = "Bind address. Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--port", defaultValue = "${env:TWIN_MESH_PORT:-8081}", description = "Port. Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--worker-id", defaultValue = "${env:HOSTNAME:-worker}", description = "Name in traces and metrics. Default: ${DEFAULT-VALUE}.")
  String workerId;

  @Option(names = "--drain-timeout", defaultValue = "${env:TWIN_MESH_DRAIN_TIMEOUT:-PT60S}",
      description = "On SIGTERM: stop taking requests, let running ones finish for at most this long (ISO-8601, e.g. PT60S). Default: ${DEFAULT-VALUE}.")
  java.time.Duration drainTimeout;

  @Mixin
  RuntimeOptions runtime;

  @Override
  public Integer call() throws Exception {
    Vertx vertx = Vertx.vertx();
    WorkerService worker = WorkerService.start(vertx,
        new WorkerSettings(model, servedModelName, host, port, workerId, runtime.toRuntime())).await(10, TimeUnit.MINUTES);
    System.out.println("worker serving " + servedModelName + " on http://" + host + ":" + worker.port());
    return ServiceRunner.runUntilStopped(vertx, () -> {
      worker.drain(drainTimeout);
      worker.close();
    });
  }
}
