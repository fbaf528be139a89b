package dev.twinmesh.worker.model;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * A TorchScript module that PyTorch compiles from twin-mesh's own source ({@link TorchScriptArchive}),
 * with the manager that owns it. A call closes its arguments: PyTorch keeps its own references to
 * whatever the module stores.
 */
final class ScriptModule implements AutoCloseable {

  private final PtNDManager manager;
  private final PtSymbolBlock module;

  private ScriptModule(PtNDManager manager, PtSymbolBlock module) {
    this.manager = manager;
    this.module = module;
  }

  /**
   * Compiles {@code className} from {@code source}; a compile error surfaces here.
   *
   * @param attributes every attribute the class declares, with its initial value (see {@link TorchScriptArchive})
   */
  static ScriptModule compile(NDManager parent, String className, String source, Map<String, Object> attributes) {
    PtNDManager manager = (PtNDManager) parent.newSubManager();
    try (InputStream in = new ByteArrayInputStream(TorchScriptArchive.write(className, source, attributes))) {
      return new ScriptModule(manager, JniUtils.loadModule(manager, in, true, false));
    } catch (IOException e) {
      manager.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** The manager of the module and of what its owner attaches to it. */
  PtNDManager manager() {
    return manager;
  }

  /** Runs a method; the caller closes the result. */
  IValue run(String method, IValue... arguments) {
    try {
      return IValueUtils.runMethod(module, method, arguments);
    } finally {
      for (IValue argument : arguments) {
        argument.close();
      }
    }
  }

  /** Runs a method for what it does to the module. */
  void call(String method, IValue... arguments) {
    run(method, arguments).close();
  }

  @Override
  public void close() {
    module.close();
    manager.close();
  }
}
