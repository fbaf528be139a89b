import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.jni.LibUtils;

/**
 * An image build step, run once with the image's own jar: loads the PyTorch engine and the tokenizers
 * library so that DJL unpacks their natives into ENGINE_CACHE_DIR and DJL_CACHE_DIR inside the image.
 * A worker then starts with nothing to download or unpack, on a read-only root filesystem.
 */
public final class WarmDjl {
  public static void main(String[] args) {
    Engine engine = Engine.getEngine("PyTorch");
    LibUtils.checkStatus();
    System.out.println("DJL " + engine.getEngineName() + " " + engine.getVersion()
        + " natives unpacked; GPUs seen while building: " + engine.getGpuCount());
  }
}
