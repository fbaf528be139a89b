package dev.twinmesh.app;

import dev.twinmesh.app.bench.BenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code twin-mesh} command: every service of the mesh, and the tools around it, in one jar. */
@Command(
    name = "twin-mesh",
    mixinStandardHelpOptions = true,
    versionProvider = TwinMesh.Version.class,
    description = {
        "An inference mesh for your LLM twin: a fine-tuned Llama that writes in your voice and answers",
        "from your own posts, articles and code.",
        "",
        "Start everything in one JVM with 'twin-mesh up', or each service on its own machine."},
    subcommands = {
        UpCommand.class,
        GatewayCommand.class,
        IngestCommand.class,
        WorkerCommand.class,
        MonitorCommand.class,
        ModelCommand.class,
        BenchCommand.class,
        CommandLine.HelpCommand.class})
public final class TwinMesh implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new TwinMesh()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = TwinMesh.class.getPackage().getImplementationVersion();
      return new String[] {"twin-mesh " + (v == null ? "(development build)" : v)};
    }
  }
}
