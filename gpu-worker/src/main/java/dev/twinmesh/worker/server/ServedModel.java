package dev.twinmesh.worker.server;

/**
 * What a worker serves, as {@code /v1/models} and {@code /info} describe it.
 *
 * @param randomWeights the checkpoint was generated with random weights: its text is noise
 */
public record ServedModel(String name, String checkpoint, String architecture, long parameters,
                          int maxModelLen, boolean randomWeights) {

  public static final String RANDOM_WEIGHTS_NOTE = "this checkpoint has random weights, so its answers are noise;"
      + " point twin-mesh at a real Hugging Face checkpoint with --model DIR (e.g. a local copy of your twin,"
      + " Llama-3.1-8B fine-tuned, or SmolLM2-135M-Instruct)";
}
