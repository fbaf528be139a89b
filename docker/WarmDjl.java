import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.jni.LibUtils;

/**
 * An image build step, run once with the image's own jar: loads the DJL engines named as arguments
 * (PyTorch for a worker, OnnxRuntime for the business service's embedder) and the tokenizers library,
 * so that DJL unpacks their natives into ENGINE_CACHE_DIR inside the image. A service then starts with
 * nothing to download or unpack there, on a read-only root filesystem. (ONNX Runtime's own loader still
 * unpacks its library into java.io.tmpdir at start: /tmp is writable in every manifest.)
 */
public final class WarmDjl {
  public static void main(String[] engines) {
    for (String name : engines.length == 0 ? new String[] {"PyTorch"} : engines) {
      Engine engine = Engine.getEngine(name);
      System.out.println("DJL " + engine.getEngineName() + " " + engine.getVersion() + " natives unpacked; GPUs seen: "
          + engine.getGpuCount());
    }
    LibUtils.checkStatus();
    System.out.println("tokenizers natives unpacked");
  }
}
