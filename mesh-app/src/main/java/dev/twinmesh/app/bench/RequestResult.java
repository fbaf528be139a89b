package dev.twinmesh.app.bench;

/**
 * What one streamed request measured. Times are nanoseconds from sending the request.
 *
 * @param ttftNanos       until the first event with text, or -1 when none came
 * @param gapsNanos       between consecutive events with text: the inter-token latencies
 * @param outputTokens    from the usage chunk, or the number of text events when the server sent none
 * @param promptTokens    from the usage chunk, or 0
 * @param error           null when the stream ended with [DONE] and no error event
 */
record RequestResult(long ttftNanos, long[] gapsNanos, long totalNanos, int outputTokens, int promptTokens,
                     String error) {

  boolean ok() {
    return error == null;
  }

  static RequestResult failed(long totalNanos, String error) {
    return new RequestResult(-1, new long[0], totalNanos, 0, 0, error);
  }
}
