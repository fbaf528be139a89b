package dev.twinmesh.worker.model;

import java.util.Arrays;

/**
 * One engine step over several sequences: each sequence's new tokens (a prompt chunk or one decode
 * token), flattened sequence after sequence. A sequence's new tokens are the last
 * {@code queryLengths[s]} of its {@code contextLengths[s]} positions.
 *
 * @param tokenIds       [N] new tokens
 * @param positions      [N] their positions within their sequences
 * @param slotMapping    [N] the paged-cache slot each new token's key and value go to
 * @param queryLengths   [S] new tokens per sequence
 * @param contextLengths [S] cached plus new positions per sequence
 * @param blockTables    [S][blocks] cache blocks of each sequence, in position order
 */
public record BatchInput(int[] tokenIds, int[] positions, int[] slotMapping, int[] queryLengths,
                         int[] contextLengths, int[][] blockTables) {

  public BatchInput {
    int n = tokenIds.length;
    int s = queryLengths.length;
    if (positions.length != n || slotMapping.length != n) {
      throw new IllegalArgumentException("tokenIds, positions and slotMapping differ in length");
    }
    if (contextLengths.length != s || blockTables.length != s) {
      throw new IllegalArgumentException("queryLengths, contextLengths and blockTables differ in length");
    }
    if (Arrays.stream(queryLengths).sum() != n) {
      throw new IllegalArgumentException("queryLengths add up to " + Arrays.stream(queryLengths).sum()
          + " but there are " + n + " tokens");
    }
    int offset = 0;
    for (int i = 0; i < s; i++) {
      if (queryLengths[i] <= 0 || contextLengths[i] < queryLengths[i]) {
        throw new IllegalArgumentException("sequence " + i + ": " + queryLengths[i] + " new tokens in a context of "
            + contextLengths[i]);
      }
      for (int j = 0; j < queryLengths[i]; j++) {
        int expected = contextLengths[i] - queryLengths[i] + j;
        if (positions[offset + j] != expected) {
          throw new IllegalArgumentException("sequence " + i + ": token " + j + " at position "
              + positions[offset + j] + ", expected " + expected);
        }
      }
      offset += queryLengths[i];
    }
  }

  public int numSequences() {
    return queryLengths.length;
  }

  public int numTokens() {
    return tokenIds.length;
  }

  /** Row of each sequence's last new token in the flattened batch. */
  public long[] lastTokenRows() {
    long[] rows = new long[queryLengths.length];
    long end = 0;
    for (int i = 0; i < rows.length; i++) {
      end += queryLengths[i];
      rows[i] = end - 1;
    }
    return rows;
  }
}
