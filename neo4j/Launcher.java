// Runs Neo4j Community (embedded) with Bolt on 127.0.0.1 for milgraph.
//
// Started by graph_builder/neo4j_server.py as a Java 17 single-file program:
//   java -Xmx512m --add-opens ... -cp 'neo4j/target/lib/*' neo4j/Launcher.java \
//        --home build/neo4j --port 7687 --pagecache 256m
// The password comes from the environment variable MILGRAPH_NEO4J_PASSWORD (so it never
// shows in `ps`), falling back to --password. On start the `neo4j` user's password is set
// to it (CHANGE NOT REQUIRED), so the Python driver logs in as neo4j/<password>.
// SIGTERM runs the shutdown hook, which shuts the databases down cleanly.
//
// It also registers one read-only procedure, milgraph.lastTransaction(), so a rebuild can
// tell that the database still holds exactly what its last load wrote (see
// graph_builder/neo4j_state.py): Neo4j Community reports no last committed transaction.

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.collection.ResourceRawIterator;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.internal.kernel.api.exceptions.ProcedureException;
import org.neo4j.internal.kernel.api.procs.Neo4jTypes;
import org.neo4j.internal.kernel.api.procs.ProcedureSignature;
import org.neo4j.internal.kernel.api.procs.QualifiedName;
import org.neo4j.kernel.api.ResourceMonitor;
import org.neo4j.kernel.api.procedure.CallableProcedure;
import org.neo4j.kernel.api.procedure.GlobalProcedures;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.procedure.Mode;
import org.neo4j.storageengine.api.TransactionId;
import org.neo4j.storageengine.api.TransactionIdStore;
import org.neo4j.values.AnyValue;
import org.neo4j.values.storable.Values;

public class Launcher {

    /**
     * milgraph.lastTransaction(): the database's last committed transaction (id, checksum,
     * commit time). Registered as a plain CallableProcedure: Neo4j's compiler for annotated
     * procedure classes cannot load a class of this single-file program (it lives in the
     * source launcher's in-memory class loader).
     */
    static final class LastTransaction extends CallableProcedure.BasicProcedure {
        LastTransaction() {
            super(ProcedureSignature.procedureSignature(new QualifiedName("milgraph", "lastTransaction"))
                    .mode(Mode.READ)
                    .out("database", Neo4jTypes.NTString)
                    .out("lastCommitted", Neo4jTypes.NTInteger)
                    .out("checksum", Neo4jTypes.NTInteger)
                    .out("commitTimestamp", Neo4jTypes.NTInteger)
                    .description("The last committed transaction of this database: id, checksum "
                            + "and commit time.")
                    .build());
        }

        @Override
        public ResourceRawIterator<AnyValue[], ProcedureException> apply(
                org.neo4j.kernel.api.procedure.Context context, AnyValue[] input, ResourceMonitor monitor) {
            GraphDatabaseAPI api = context.graphDatabaseAPI();
            String name = api.databaseName();
            TransactionId last = api.getDependencyResolver()
                    .resolveDependency(TransactionIdStore.class)
                    .getLastCommittedTransaction();
            AnyValue[] row = {
                Values.stringValue(name),
                Values.longValue(last.id()),
                Values.longValue(last.checksum()),
                Values.longValue(last.commitTimestamp()),
            };
            return ResourceRawIterator.of(new AnyValue[][] {row});
        }
    }

    /** "512m", "1g", "1048576" -> bytes. */
    static long parseSize(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        long factor = 1;
        char last = s.charAt(s.length() - 1);
        if (last == 'k' || last == 'm' || last == 'g') {
            factor = last == 'k' ? 1L << 10 : last == 'm' ? 1L << 20 : 1L << 30;
            s = s.substring(0, s.length() - 1);
        }
        return Long.parseLong(s) * factor;
    }

    static void usage(String problem) {
        System.err.println("error: " + problem);
        System.err.println(
                "usage: Launcher.java --home DIR [--port 7687] [--pagecache 256m] [--password PW]");
        System.exit(2);
    }

    public static void main(String[] args) throws Exception {
        String home = null;
        int port = 7687;
        String pagecache = "256m";
        String password = System.getenv("MILGRAPH_NEO4J_PASSWORD");
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                usage("missing value after " + flag);
            }
            String value = args[++i];
            switch (flag) {
                case "--home" -> home = value;
                case "--port" -> port = Integer.parseInt(value);
                case "--pagecache" -> pagecache = value;
                case "--password" -> password = password == null ? value : password;
                default -> usage("unknown option " + flag);
            }
        }
        if (home == null) {
            usage("--home is required");
        }
        if (password == null || password.isEmpty()) {
            usage("set MILGRAPH_NEO4J_PASSWORD or pass --password");
        }

        Path homeDir = Path.of(home).toAbsolutePath();
        // Loopback only: the local server must never be reachable from other machines.
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(homeDir)
                .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress("127.0.0.1"))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                // LOAD CSV must not read files of the machine (the query API is for analysts).
                .setConfig(GraphDatabaseSettings.allow_file_urls, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, parseSize(pagecache))
                // milgraph replaces the graph in one transaction (atomic rebuilds). Off-heap
                // transaction state about doubles the change set a given heap can hold
                // (measured: 512m held 20k synthetic statements on-heap, 40k off-heap). The
                // transaction memory pool stays at its default share of the heap: raising it
                // past the heap let a 100k-statement commit exhaust the heap and hang.
                .setConfig(GraphDatabaseSettings.tx_state_memory_allocation,
                        GraphDatabaseSettings.TransactionStateMemoryAllocation.OFF_HEAP)
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("milgraph-neo4j: shutting down");
            dbms.shutdown();
            System.out.println("milgraph-neo4j: stopped");
            System.out.flush();
            stopped.countDown();
        }, "milgraph-neo4j-shutdown"));

        try {
            try {
                dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED",
                        Map.of("pw", password));
            } catch (RuntimeException e) {
                // A restart on existing data: the password is already the one asked for.
                if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                    throw e;
                }
            }
            ((GraphDatabaseAPI) dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME))
                    .getDependencyResolver()
                    .resolveDependency(GlobalProcedures.class)
                    .register(new LastTransaction());
            // Touch the default database so the first Bolt query does not wait for it.
            dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME)
                    .executeTransactionally("RETURN 1");
        } catch (RuntimeException | ProcedureException e) {
            // Without this the Neo4j threads keep the JVM alive with a server nobody can use.
            System.err.println("milgraph-neo4j: start failed: " + e.getMessage());
            System.exit(1); // runs the shutdown hook
        }
        System.out.println("milgraph-neo4j: ready bolt://127.0.0.1:" + port + " home=" + homeDir
                + " pagecache=" + pagecache + " maxheap="
                + (Runtime.getRuntime().maxMemory() >> 20) + "m");
        System.out.flush();
        stopped.await();
    }
}
