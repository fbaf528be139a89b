package dev.twinmesh.gateway.jobs;

import dev.twinmesh.common.Names;
import java.time.Duration;

/**
 * The jobs consumer's settings, validated once.
 *
 * @param maxConcurrency  jobs generating at once per consumer; past it the consumer pauses its partitions
 * @param maxAttempts     generations tried for a job that fails with a retryable error before it goes to the DLQ
 * @param instanceId      stable per process (the pod name): the transactional id is derived from it, so a
 *                        restarted consumer fences its predecessor's open transaction at once
 * @param apiKey          sent on the loopback call when the gateway requires keys; null otherwise
 * @param defaultModel    the model a job gets when it names none
 */
public record JobsConfig(
    String bootstrapServers,
    String groupId,
    int maxConcurrency,
    int maxAttempts,
    String instanceId,
    String apiKey,
    String defaultModel,
    Duration transactionTimeout) {

  public JobsConfig {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("the jobs consumer needs Kafka bootstrap servers");
    }
    if (maxConcurrency < 1 || maxAttempts < 1) {
      throw new IllegalArgumentException("jobs concurrency and attempts must be at least 1");
    }
    if (defaultModel == null || defaultModel.isBlank()) {
      throw new IllegalArgumentException("the jobs consumer needs a default model name");
    }
    groupId = groupId == null || groupId.isBlank() ? Names.GROUP_JOBS : groupId;
    instanceId = instanceId == null || instanceId.isBlank() ? "jobs-0" : instanceId;
    transactionTimeout = transactionTimeout == null ? Duration.ofSeconds(30) : transactionTimeout;
  }

  public static JobsConfig of(String bootstrapServers, String defaultModel) {
    return new JobsConfig(bootstrapServers, Names.GROUP_JOBS, 8, 5, null, null, defaultModel, null);
  }

  public JobsConfig withInstanceId(String id) {
    return new JobsConfig(bootstrapServers, groupId, maxConcurrency, maxAttempts, id, apiKey, defaultModel, transactionTimeout);
  }

  public JobsConfig withConcurrency(int concurrency) {
    return new JobsConfig(bootstrapServers, groupId, concurrency, maxAttempts, instanceId, apiKey, defaultModel, transactionTimeout);
  }

  public JobsConfig withApiKey(String key) {
    return new JobsConfig(bootstrapServers, groupId, maxConcurrency, maxAttempts, instanceId, key, defaultModel, transactionTimeout);
  }
}
