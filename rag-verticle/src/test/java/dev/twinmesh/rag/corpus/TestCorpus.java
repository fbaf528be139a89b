package dev.twinmesh.rag.corpus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A small corpus written by the project itself: four authors, each with posts, articles and a code
 * repository on topics of their own, in every format the ingestor reads (a JSON export, Markdown, plain
 * text, HTML, source files), plus files it must skip. {@link #QUESTIONS} are labelled with the source that
 * answers them.
 */
public final class TestCorpus {
  private TestCorpus() {}

  /** A question, the author the request names (null: none), and the source that holds the answer. */
  public record Question(String text, String author, String expectedSource) {}

  public static final List<Question> QUESTIONS = List.of(
      new Question("What does Note G compute on the Analytical Engine?", "ada", "https://social.example/ada/1"),
      new Question("How are the punched cards of the Jacquard loom used by the engine?", "ada", "https://social.example/ada/2"),
      new Question("What is poetical science and why does imagination matter?", "ada", "https://social.example/ada/3"),
      new Question("What is the difference between the mill and the store?", "ada", "analytical-engine-notes.md"),
      new Question("Could a machine compose music?", "Ada Lovelace", "machine-music.md"),
      new Question("As Ada Lovelace, explain the Java class that calculates Bernoulli numbers with fractions", null,
          "BernoulliCalculator.java"),
      new Question("How many variable columns does the engine simulator have?", "ada", "engine-sim/README.md"),
      new Question("How do zebra stripes and leopard spots form?", "alan", "morphogenesis.txt"),
      new Question("How long did each move take when the chess program was run by hand?", "alan", "chess.txt"),
      new Question("Can machines think? Describe the imitation game.", "Alan Turing", "imitation-game.html"),
      new Question("How did the bombe use cribs to break Enigma?", "alan", "enigma.html"),
      new Question("Write like Alan Turing: how does the simulator move the head along the tape using the transition table?",
          null, "turing-machine/tm.py"),
      new Question("How many ones does the two-state busy beaver write before it halts?", "alan", "busy_beaver.py"),
      new Question("How long is a nanosecond of wire?", "grace", "nanosecond.md"),
      new Question("Tell the story of the moth found in the Mark II relay", "grace", "first-bug.md"),
      new Question("Why did you build the first compiler and what was FLOW-MATIC?", "grace", "compilers.md"),
      new Question("What is the most dangerous phrase in the language?", "Grace Hopper", "leadership.html"),
      new Question("How does the payroll program compute overtime pay?", "grace", "PAYROLL.cbl"),
      new Question("How do I convert the fixed-width employee records to CSV?", "grace", "convert_records.py"),
      new Question("What caused the 1202 alarm during the Apollo 11 landing?", "margaret", "1202-alarm.txt"),
      new Question("Why did you start calling it software engineering?", "margaret", "software-engineering.md"),
      new Question("How does the scheduler decide which jobs to drop when the computer is overloaded?", "margaret",
          "PriorityScheduler.java"),
      new Question("Who handed out pieces of wire to admirals to explain a nanosecond?", null, "nanosecond.md"),
      new Question("In the voice of Margaret Hamilton, what happened when the P01 program was selected in flight?", null,
          "software-engineering.md"),
      // Paraphrases that share few words with the text that answers them.
      new Question("Why did the satellite messages seem slow to the navy's senior officers?", "grace", "nanosecond.md"),
      new Question("What would you say to someone who resists change because of tradition?", "grace", "leadership.html"),
      new Question("How can chemistry explain the patterns on animal coats?", null, "morphogenesis.txt"),
      new Question("What happened when the guidance computer had too much work during the moon descent?", null,
          "1202-alarm.txt"),
      new Question("Is a computer limited to numbers, or could it work with art too?", "ada", "machine-music.md"),
      new Question("How do you decide whether a machine is intelligent?", null, "imitation-game.html"));

  /** Documents the ingestor stores from {@link #write}: 7 + 6 + 6 + 3. */
  public static final int DOCUMENTS = 22;

  public static void write(Path root) throws IOException {
    writeAda(root.resolve("ada"));
    writeAlan(root.resolve("alan"));
    writeGrace(root.resolve("grace"));
    writeMargaret(root.resolve("margaret"));
  }

  private static void writeAda(Path dir) throws IOException {
    put(dir.resolve("author.json"), """
        {"id": "ada", "name": "Ada Lovelace", "aliases": ["Countess of Lovelace"]}""");
    put(dir.resolve("posts/export.json"), """
        {"posts": [
          {"link": "https://social.example/ada/1", "content": "Note G is finished. It is a table of operations that shows, step by step, how the Analytical Engine would compute the Bernoulli numbers without any human help. Every variable card and operation card is listed, so anyone can follow the algorithm."},
          {"link": "https://social.example/ada/2", "text": "The Analytical Engine weaves algebraical patterns just as the Jacquard loom weaves flowers and leaves. Punched cards, borrowed from the loom, carry the operations and the variables into the machine."},
          {"link": "https://social.example/ada/3", "body": "I call it poetical science. Imagination is the discovering faculty: it sees into the unseen worlds around us, the worlds of science. Mathematics without imagination is only arithmetic."},
          {"link": "https://social.example/ada/4"}
        ]}""");
    put(dir.resolve("articles/analytical-engine-notes.md"), """
        # Notes on the Analytical Engine

        The engine has two principal parts. The **store** holds the numbers: columns of discs, each column one
        variable. The **mill** is where operations are performed on numbers brought from the store, and results
        are sent back to the store.

        A *cycle of operations* repeats a set of operations a given number of times, what programmers now
        call a loop. The operation cards say what to do; the variable cards say which columns to use.
        """);
    put(dir.resolve("articles/machine-music.md"), """
        ## On machines and music

        Suppose the fundamental relations of pitched sounds in the science of harmony and of musical composition
        were expressed in the engine's notation. The engine might then compose elaborate and scientific pieces of
        music of any degree of complexity or extent. It operates on symbols, not only on numbers.
        """);
    Path repo = dir.resolve("repositories/engine-sim");
    put(repo.resolve(".twin-source"), "https://code.example/ada/engine-sim");
    put(repo.resolve("src/BernoulliCalculator.java"), """
        import java.math.BigInteger;

        /** Computes Bernoulli numbers exactly, as fractions, with the recurrence of Note G. */
        public final class BernoulliCalculator {
          /** B(n) as numerator and denominator, from sum_{k=0}^{n} C(n+1, k) B(k) = 0. */
          public static Fraction bernoulli(int n) {
            Fraction[] b = new Fraction[n + 1];
            b[0] = Fraction.ONE;
            for (int m = 1; m <= n; m++) {
              Fraction sum = Fraction.ZERO;
              for (int k = 0; k < m; k++) {
                sum = sum.plus(b[k].times(binomial(m + 1, k)));
              }
              b[m] = sum.negate().divide(m + 1);
            }
            return b[n];
          }
        }
        """);
    put(repo.resolve("README.md"), """
        # engine-sim

        A simulator of the Analytical Engine: a store of 1000 variable columns, each holding a number of
        40 decimal digits, a mill that adds, subtracts, multiplies and divides, and a reader of operation cards.
        """);
    Files.createDirectories(repo.resolve("assets"));
    Files.write(repo.resolve("assets/logo.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13, 0, 1});
    put(repo.resolve("node_modules/left-pad/index.js"), "module.exports = function leftPad() {}");
  }

  private static void writeAlan(Path dir) throws IOException {
    put(dir.resolve("author.json"), """
        {"id": "alan", "name": "Alan Turing"}""");
    put(dir.resolve("posts/morphogenesis.txt"), """
        Why does a zebra have stripes and a leopard spots? Two chemicals, an activator and an inhibitor, react and
        diffuse through the tissue at different rates. From an almost uniform start, small fluctuations grow into
        stable patterns of stripes or spots. I call these substances morphogens.
        """);
    put(dir.resolve("posts/chess.txt"), """
        With Champernowne I wrote a chess program, but there was no machine to run it. So I played it by hand,
        working through the algorithm on paper, and it took about half an hour to calculate each move.
        The program lost, but it played legal and sometimes sensible chess.
        """);
    put(dir.resolve("posts/photo.jpg"), "not really a photo");
    put(dir.resolve("articles/imitation-game.html"), """
        <html><head><title>Computing machinery</title><style>body { font: serif; }</style></head>
        <body><h1>Can machines think?</h1>
        <p>I propose to replace the question by a game, the <em>imitation game</em>. An interrogator in a separate
        room asks questions by teleprinter of a man and a machine, and must decide which is which.</p>
        <p>If the machine is mistaken for the human as often as not, we should say that it thinks.</p>
        <script>trackVisitor();</script></body></html>
        """);
    put(dir.resolve("articles/enigma.html"), """
        <article><h2>Breaking Enigma at Bletchley Park</h2>
        <p>The bombe did not read messages. It tested a <b>crib</b>, a guessed piece of plaintext such as a weather
        report, against the ciphertext, and rejected every rotor setting that led to a contradiction.</p>
        <p>The few settings that survived were tried by hand on a replica Enigma &amp; the day's key was found.</p>
        </article>
        """);
    Path repo = dir.resolve("repositories/turing-machine");
    put(repo.resolve("tm.py"), """
        class TuringMachine:
            \"\"\"A tape, a head and a transition table: (state, symbol) -> (write, move, next state).\"\"\"

            def __init__(self, table, start, halt):
                self.table, self.state, self.halt = table, start, halt
                self.tape, self.head = {}, 0

            def step(self):
                symbol = self.tape.get(self.head, 0)
                write, move, self.state = self.table[(self.state, symbol)]
                self.tape[self.head] = write
                self.head += 1 if move == "R" else -1

            def run(self):
                while self.state != self.halt:
                    self.step()
                return self.tape
        """);
    put(repo.resolve("busy_beaver.py"), """
        from tm import TuringMachine

        # The two-state busy beaver: it writes 4 ones in 6 steps and then halts.
        TABLE = {
            ("A", 0): (1, "R", "B"), ("A", 1): (1, "L", "B"),
            ("B", 0): (1, "L", "A"), ("B", 1): (1, "R", "H"),
        }

        if __name__ == "__main__":
            print(sum(TuringMachine(TABLE, "A", "H").run().values()))
        """);
  }

  private static void writeGrace(Path dir) throws IOException {
    put(dir.resolve("author.json"), """
        {"id": "grace", "name": "Grace Hopper", "aliases": ["Amazing Grace"]}""");
    put(dir.resolve("posts/nanosecond.md"), """
        Admirals kept asking me why it took so long to send a message by satellite. So I handed out pieces of
        wire, each 11.8 inches long: the distance light travels in one **nanosecond**. Between here and the
        satellite there are a very great many nanoseconds.
        """);
    put(dir.resolve("posts/first-bug.md"), """
        In September 1947 the operators of the Harvard Mark II found a moth trapped in relay 70 of panel F.
        They taped it into the logbook with the note "first actual case of bug being found". We had said
        bugs for years, but now we had one to show.
        """);
    put(dir.resolve("posts/broken.json"), "{ this is not json");
    put(dir.resolve("articles/compilers.md"), """
        # Why I wrote the first compiler

        In 1952 I had a running compiler, the A-0 system, and nobody would touch it: they told me computers could
        only do arithmetic. But most people are not mathematicians, and data processing should be written in
        words. FLOW-MATIC took English-language statements such as INPUT and COMPARE, and it led to COBOL.
        """);
    put(dir.resolve("articles/leadership.html"), """
        <div class="talk"><p>A ship in port is safe, but that is not what ships are built for.</p>
        <p>It is easier to ask forgiveness than it is to get permission.</p>
        <p>The most dangerous phrase in the language is &quot;we have always done it this way&quot;.</p></div>
        """);
    Path repo = dir.resolve("repositories/cobol-payroll");
    put(repo.resolve(".twin-source"), "https://code.example/grace/cobol-payroll");
    put(repo.resolve("PAYROLL.cbl"), """
               IDENTIFICATION DIVISION.
               PROGRAM-ID. PAYROLL.
              * Gross pay: hours up to 40 at the base rate, overtime at time and a half.
               PROCEDURE DIVISION.
                   IF HOURS-WORKED > 40
                       COMPUTE OVERTIME-HOURS = HOURS-WORKED - 40
                       COMPUTE GROSS-PAY = 40 * HOURLY-RATE
                           + OVERTIME-HOURS * HOURLY-RATE * 1.5
                   ELSE
                       COMPUTE GROSS-PAY = HOURS-WORKED * HOURLY-RATE
                   END-IF.
                   STOP RUN.
        """);
    put(repo.resolve("convert_records.py"), """
        import csv, sys

        # Employee master records are fixed-width: id 6, name 30, department 4, hourly rate 7.
        FIELDS = [("id", 0, 6), ("name", 6, 36), ("dept", 36, 40), ("rate", 40, 47)]

        def convert(fixed_width_path, csv_path):
            with open(fixed_width_path) as src, open(csv_path, "w", newline="") as dst:
                out = csv.writer(dst)
                out.writerow([f for f, _, _ in FIELDS])
                for line in src:
                    out.writerow([line[a:b].strip() for _, a, b in FIELDS])
        """);
    put(repo.resolve("package-lock.json"), "{}");
  }

  private static void writeMargaret(Path dir) throws IOException {
    put(dir.resolve("author.json"), """
        {"id": "margaret", "name": "Margaret Hamilton"}""");
    put(dir.resolve("posts/1202-alarm.txt"), """
        Minutes before the Apollo 11 landing the guidance computer raised the 1202 and 1201 program alarms. The
        rendezvous radar was stealing cycles and the executive ran out of core sets. Because the software
        scheduled by priority, it shed the low-priority jobs, restarted, and kept the landing tasks running.
        """);
    put(dir.resolve("articles/software-engineering.md"), """
        # Software engineering

        I began to use the term software engineering so that building software would be taken as seriously
        as the other engineering disciplines. My daughter Lauren once crashed the simulator by selecting the
        prelaunch program P01 in mid-flight; I was told an astronaut would never do that, until one did.
        So we designed for error detection and recovery from the start.
        """);
    put(dir.resolve("repositories/agc-scheduler/PriorityScheduler.java"), """
        import java.util.PriorityQueue;

        /** Runs the highest-priority job first; when overloaded, drops low-priority jobs and restarts. */
        final class PriorityScheduler {
          private final PriorityQueue<Job> jobs = new PriorityQueue<>((a, b) -> b.priority() - a.priority());
          private final int coreSets;

          PriorityScheduler(int coreSets) { this.coreSets = coreSets; }

          void submit(Job job) {
            if (jobs.size() == coreSets) {
              shedLowestPriorityJobs(); // the 1202 alarm: no core set left
            }
            jobs.add(job);
          }

          private void shedLowestPriorityJobs() {
            jobs.removeIf(j -> j.priority() < Job.CRITICAL);
          }
        }
        """);
  }

  private static void put(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }
}
