package dev.twinmesh.worker.engine;

/** Makes, per sequence, a decoder that turns token ids into text without ever splitting a UTF-8 character. */
public interface TokenTextDecoder {

  Stream open();

  /** Text of one token alone, for logprobs. */
  String tokenText(int tokenId);

  /** One sequence's incremental decoder. */
  interface Stream {
    /** The text completed by this token (possibly empty). */
    String next(int tokenId);

    /** What is still held back (bytes of an unfinished character), as the full decode shows it; at the end. */
    String flush();
  }
}
