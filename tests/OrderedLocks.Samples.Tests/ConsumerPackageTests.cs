using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace OrderedLocks.Samples.Tests;

/// <summary>
/// The packages as a user gets them (issue 11, "Done when"): <c>dotnet pack</c> of both packages
/// into a folder feed, then, OUTSIDE the repository (a temp folder with its own nuget.config, no
/// project reference, no file copied from the repository), a consumer app and a consumer xunit
/// project for net8.0 and net10.0. The app's build must report OL0001, OL0002 (constructor ranks),
/// OL0004 and OL0101 exactly where expected; the xunit project's own Coyote campaign (rewritten by
/// the targets the package ships) must find its ABBA deadlock with a replayable trace, replay it,
/// and pass its fixed variant. Both package READMEs' quick starts are compiled and run there too.
/// </summary>
/// <remarks>
/// net8.0 on a machine with only the .NET 10 runtime: the consumer test project runs net8.0
/// SELF-CONTAINED (the Microsoft.NETCore.App 8.0 runtime pack comes from NuGet), so the net8.0 build
/// of both packages, Coyote and the rewriter's output really run on .NET 8; the console app's
/// net8.0 build is run with roll-forward (DOTNET_ROLL_FORWARD=Major), which checks that its net8.0
/// assets load and work, on the .NET 10 runtime.
/// </remarks>
public sealed class ConsumerPackageTests : IClassFixture<ConsumerPackageTests.Consumer>
{
    private static readonly string[] s_frameworks = { "net8.0", "net10.0" };

    private readonly Consumer _consumer;

    public ConsumerPackageTests(Consumer consumer) => _consumer = consumer;

    public static TheoryData<string> Packages => new("OrderedLocks", "OrderedLocks.Testing");

    public static TheoryData<string> Frameworks => new(s_frameworks);

    [Theory]
    [MemberData(nameof(Packages))]
    public void Nuspec_HasRealVersionLicenseReadmeRepositoryAndCommit(string id)
    {
        using ZipArchive zip = ZipFile.OpenRead(_consumer.PackagePath(id));
        XElement metadata = Nuspec(zip);
        XNamespace ns = metadata.Name.Namespace;

        string version = metadata.Element(ns + "version")!.Value;
        Assert.Equal(_consumer.Version, version);
        Assert.StartsWith(_consumer.VersionPrefix + "-", version, StringComparison.Ordinal);
        Assert.NotEqual("1.0.0", _consumer.VersionPrefix);

        XElement license = metadata.Element(ns + "license")!;
        Assert.Equal("expression", license.Attribute("type")!.Value);
        Assert.Equal("MIT", license.Value);
        Assert.NotNull(zip.GetEntry("LICENSE"));

        Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
        Assert.Equal(Consumer.RepositoryUrl, metadata.Element(ns + "projectUrl")!.Value);
        Assert.Contains("CHANGELOG.md", metadata.Element(ns + "releaseNotes")!.Value, StringComparison.Ordinal);

        XElement repository = metadata.Element(ns + "repository")!;
        Assert.Equal("git", repository.Attribute("type")!.Value);
        Assert.Equal(Consumer.RepositoryUrl, repository.Attribute("url")!.Value);
        if (_consumer.Commit is { } commit)
        {
            Assert.Equal(commit, repository.Attribute("commit")?.Value);
        }

        Assert.True(File.Exists(_consumer.SymbolsPath(id)), "no symbol package " + _consumer.SymbolsPath(id));
        foreach (string tfm in s_frameworks)
        {
            Assert.NotNull(zip.GetEntry($"lib/{tfm}/{id}.dll"));
            Assert.NotNull(zip.GetEntry($"lib/{tfm}/{id}.xml"));
        }
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void Readme_IsThePackagesOwnPage_WithInstallLineFrameworksSdkAndAbsoluteLinks(string id)
    {
        string readme = _consumer.Readme(id);

        Assert.StartsWith("# " + id + "\n", readme.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains($"dotnet add package {id}", readme, StringComparison.Ordinal);
        Assert.Contains("`net8.0`, `net10.0`", readme, StringComparison.Ordinal);
        Assert.Contains(".NET SDK 8.0.100", readme, StringComparison.Ordinal);
        Assert.DoesNotContain("samples/", readme.Split("](")[0], StringComparison.Ordinal); // no repository command
        Assert.Contains("```csharp", readme, StringComparison.Ordinal);

        // Every markdown link is absolute: a relative one does not resolve on a package page.
        MatchCollection links = Regex.Matches(readme, @"\]\(([^)]+)\)");
        Assert.NotEmpty(links);
        Assert.All(links, l => Assert.StartsWith("https://", l.Groups[1].Value, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void SymbolPackage_PdbHasSourceLinkToTheRepositoryAndDeterministicPaths(string id)
    {
        using ZipArchive zip = ZipFile.OpenRead(_consumer.SymbolsPath(id));
        foreach (string tfm in s_frameworks)
        {
            ZipArchiveEntry entry = zip.GetEntry($"lib/{tfm}/{id}.pdb") ?? throw new Xunit.Sdk.XunitException($"no lib/{tfm}/{id}.pdb in the symbol package");
            using var memory = new MemoryStream();
            using (Stream pdbStream = entry.Open())
            {
                pdbStream.CopyTo(memory);
            }

            memory.Position = 0;
            using MetadataReaderProvider provider = MetadataReaderProvider.FromPortablePdbStream(memory);
            MetadataReader pdb = provider.GetMetadataReader();

            string? sourceLink = null;
            var sourceLinkKind = new Guid("CC110556-A091-4D38-9FEC-25AB9A351A6A");
            foreach (CustomDebugInformationHandle handle in pdb.CustomDebugInformation)
            {
                CustomDebugInformation info = pdb.GetCustomDebugInformation(handle);
                if (pdb.GetGuid(info.Kind) == sourceLinkKind)
                {
                    sourceLink = Encoding.UTF8.GetString(pdb.GetBlobBytes(info.Value));
                }
            }

            Assert.NotNull(sourceLink);
            string expected = "https://raw.githubusercontent.com/orderedlocks/orderedlocks/" + (_consumer.Commit ?? string.Empty);
            Assert.Contains(expected, sourceLink, StringComparison.Ordinal);

            // Repository-relative (deterministic) document paths, never this machine's.
            var documents = pdb.Documents.Select(d => pdb.GetString(pdb.GetDocument(d).Name)).Where(n => n.EndsWith(".cs", StringComparison.Ordinal)).ToArray();
            Assert.NotEmpty(documents);
            Assert.All(documents, d => Assert.StartsWith("/_/", d, StringComparison.Ordinal));
            Assert.DoesNotContain(documents, d => d.Contains(Repo.Root, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void TestingPackage_ShipsBuildTransitiveTargets_AndDependsOnCoyoteAndOrderedLocksOnly()
    {
        using ZipArchive zip = ZipFile.OpenRead(_consumer.PackagePath("OrderedLocks.Testing"));
        Assert.NotNull(zip.GetEntry("buildTransitive/OrderedLocks.Testing.targets"));
        XElement metadata = Nuspec(zip);
        XNamespace ns = metadata.Name.Namespace;
        var groups = metadata.Element(ns + "dependencies")!.Elements(ns + "group").ToArray();
        Assert.Equal(new[] { "net10.0", "net8.0" }, groups.Select(g => g.Attribute("targetFramework")!.Value).Order(StringComparer.Ordinal));
        foreach (XElement group in groups)
        {
            var ids = group.Elements(ns + "dependency").Select(d => d.Attribute("id")!.Value).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(new[] { "Microsoft.Coyote", "Microsoft.Coyote.Test", "OrderedLocks" }, ids); // never Microsoft.Coyote.Tool (see docs/packaging.md)
            string orderedLocks = group.Elements(ns + "dependency").Single(d => d.Attribute("id")!.Value == "OrderedLocks").Attribute("version")!.Value;
            Assert.Contains(_consumer.Version, orderedLocks, StringComparison.Ordinal);
        }

        using ZipArchive runtime = ZipFile.OpenRead(_consumer.PackagePath("OrderedLocks"));
        Assert.NotNull(runtime.GetEntry("analyzers/dotnet/cs/OrderedLocks.Analyzers.dll"));
        Assert.NotNull(runtime.GetEntry("analyzers/dotnet/cs/OrderedLocks.CodeFixes.dll"));
    }

    // The analyzer precompiled (ReadyToRun) for each platform the .NET SDK runs on, keyed by the
    // PE machine field crossgen2 writes: the architecture, XOR-ed with a constant for Linux
    // (0x7B79) and macOS (0x4644); Windows images carry the plain architecture.
    public static TheoryData<string, ushort> ReadyToRunPlatforms => new()
    {
        { "linux-x64", 0x8664 ^ 0x7B79 }, { "linux-arm64", 0xAA64 ^ 0x7B79 },
        { "osx-x64", 0x8664 ^ 0x4644 }, { "osx-arm64", 0xAA64 ^ 0x4644 },
        { "win-x64", 0x8664 }, { "win-arm64", 0xAA64 },
    };

    [Theory]
    [MemberData(nameof(ReadyToRunPlatforms))]
    public void Package_ShipsTheAnalyzerPrecompiledForEachSdkPlatform_AsTheSameAssembly(string rid, ushort machine)
    {
        using ZipArchive zip = ZipFile.OpenRead(_consumer.PackagePath("OrderedLocks"));
        using var il = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(ReadEntry(zip, "analyzers/dotnet/cs/OrderedLocks.Analyzers.dll")));
        using var image = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(ReadEntry(zip, $"readytorun/{rid}/OrderedLocks.Analyzers.dll")));

        Assert.Equal(0, il.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size); // the default stays plain IL
        Assert.True(image.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"readytorun/{rid} has no ReadyToRun header");
        Assert.Equal(machine, (ushort)image.PEHeaders.CoffHeader.Machine);

        // The same assembly, module and version: only the precompiled code differs.
        MetadataReader a = il.GetMetadataReader(), b = image.GetMetadataReader();
        Assert.Equal(a.GetGuid(a.GetModuleDefinition().Mvid), b.GetGuid(b.GetModuleDefinition().Mvid));
        Assert.Equal(a.GetAssemblyDefinition().Version, b.GetAssemblyDefinition().Version);
    }

    [Fact]
    public void Package_OnlyThePlainAnalyzerAssembliesLieWhereNuGetTakesAnalyzers_AndTheSwapTargetsShip()
    {
        using ZipArchive zip = ZipFile.OpenRead(_consumer.PackagePath("OrderedLocks"));

        // NuGet adds every assembly whose path starts with "analyzers" as an analyzer: the images
        // must not be there, or a build would load all of them (and fail on the foreign ones).
        var underAnalyzers = zip.Entries.Select(e => e.FullName)
            .Where(n => n.StartsWith("analyzers", StringComparison.Ordinal) && n.EndsWith(".dll", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        Assert.Equal(new[] { "analyzers/dotnet/cs/OrderedLocks.Analyzers.dll", "analyzers/dotnet/cs/OrderedLocks.CodeFixes.dll" }, underAnalyzers);
        Assert.NotNull(zip.GetEntry("buildTransitive/OrderedLocks.targets"));
    }

    // Which analyzer assembly a consumer's compiler gets: the image for the SDK's own platform on a
    // command-line build, the plain IL inside IDEs (design-time builds) and when switched off.
    [Theory]
    [InlineData("", true)]
    [InlineData("-p:DesignTimeBuild=true", false)]
    [InlineData("-p:OrderedLocksReadyToRunAnalyzer=false", false)]
    public void ConsumerBuild_UsesTheImageForTheSdksPlatform_UnlessInAnIdeOrSwitchedOff(string property, bool precompiled)
    {
        _ = _consumer.AppDiagnostics("net10.0"); // restored and built once
        var args = new List<string> { "msbuild", Path.Combine(_consumer.Root, "App", "App.csproj"), "-t:ResolveLockFileAnalyzers", "-getItem:Analyzer", "-p:TargetFramework=net10.0", "-p:Configuration=Release" };
        if (property.Length > 0)
        {
            args.Add(property);
        }

        string output = Dotnet.Run(_consumer.Root, null, args.ToArray());
        var ours = Regex.Matches(output, "\"Identity\":\\s*\"(?<path>[^\"]*OrderedLocks\\.Analyzers\\.dll)\"")
            .Select(m => m.Groups["path"].Value.Replace('\\', '/'))
            .ToArray();

        string path = Assert.Single(ours);
        string rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier; // the SDK's platform on this machine
        Assert.EndsWith(precompiled ? $"/readytorun/{rid}/OrderedLocks.Analyzers.dll" : "/analyzers/dotnet/cs/OrderedLocks.Analyzers.dll", path, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Frameworks))]
    public void ConsumerApp_ReportsOL0001_ForTheInvertedLockStatements(string tfm) =>
        AssertReported(tfm, "OL0001", "Inverted.cs");

    [Theory]
    [MemberData(nameof(Frameworks))]
    public void ConsumerApp_ReportsOL0002_ForConstructorRanks(string tfm)
    {
        // Named rank argument (the documented example), positional const field, and the package
        // README's quick start. Needs the analyzer fix for int? constructor ranks (branch analyzer).
        AssertReported(tfm, "OL0002", "Ranks.cs");
        AssertReported(tfm, "OL0002", "RanksConst.cs");
        AssertReported(tfm, "OL0002", "QuickStart.cs");
    }

    [Theory]
    [MemberData(nameof(Frameworks))]
    public void ConsumerApp_ReportsOL0004_ForNestedUnrankedFields(string tfm) =>
        AssertReported(tfm, "OL0004", "Nested.cs");

    [Theory]
    [MemberData(nameof(Frameworks))]
    public void ConsumerApp_ReportsOL0101_ForAWaitWithoutPredicateLoop(string tfm) =>
        AssertReported(tfm, "OL0101", "Conditions.cs");

    [Theory]
    [MemberData(nameof(Frameworks))]
    public void ConsumerApp_ReportsNothingElse(string tfm)
    {
        var expected = new HashSet<(string File, string Id)>
        {
            ("Inverted.cs", "OL0001"), ("Ranks.cs", "OL0002"), ("RanksConst.cs", "OL0002"), ("QuickStart.cs", "OL0002"),
            ("Nested.cs", "OL0004"), ("Conditions.cs", "OL0101"),
        };
        var unexpected = _consumer.AppDiagnostics(tfm).Where(d => !expected.Contains((d.File, d.Id))).ToArray();
        Assert.True(unexpected.Length == 0, "unexpected diagnostics: " + string.Join("; ", unexpected.Select(d => d.Text)));
    }

    [Theory]
    [MemberData(nameof(Frameworks))]
    public void ConsumerApp_Runs_AcquireAllAwaitUsingAndStrictChecking(string tfm)
    {
        string output = _consumer.RunApp(tfm);

        Assert.Contains("AcquireAll: 2 locks in order x_lock, y_lock", output, StringComparison.Ordinal);
        Assert.Contains("counter 20000 of 20000, nothing held", output, StringComparison.Ordinal);
        Assert.Contains("await using: released", output, StringComparison.Ordinal);
        Assert.Contains("quick start: Transfer, SaveAsync ok; Wrong threw LockOrderException naming 'accounts' and 'audit'", output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Frameworks))]
    public void ConsumerTests_CoyoteCampaign_FindsReplaysAndPassesFixed(string tfm)
    {
        ConsumerTestRun run = _consumer.RunTests();

        // Four facts of the consumer's own plus the OrderedLocks.Testing README's quick start.
        Assert.True(run.Summary.TryGetValue(tfm, out string? line), $"no test summary for {tfm}:{Environment.NewLine}{run.Output}");
        Assert.Matches(@"^Passed!\s+-\s+Failed:\s+0,\s+Passed:\s+5,", line);

        // The campaign left a clean-named trace and a report that names the test's source lines.
        string traces = Path.Combine(_consumer.TestsBin(tfm), "coyote-traces");
        Assert.True(File.Exists(Path.Combine(traces, "transfer~random.trace")), "no trace file in " + traces);
        string report = File.ReadAllText(Path.Combine(traces, "report.txt"));
        Assert.Contains("Deadlock detected", report, StringComparison.Ordinal);
        Assert.Contains("TransferCampaigns.RawBothWaysAsync at ", report, StringComparison.Ordinal);
        Assert.Contains("bank.TransferRaw(\"alice\", \"bob\", 10)", report, StringComparison.Ordinal);
        Assert.Contains("Replay of transfer: the bug was reproduced.", report, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Frameworks))]
    public void ConsumerTests_RebuildWithoutChanges_LeavesEveryListedAssemblyRewritten(string tfm)
    {
        _ = _consumer.RunTests(); // dotnet test, then a second build with no source change

        string bin = _consumer.TestsBin(tfm);
        foreach (string name in new[] { "App.Tests.dll", "Lib.dll", "OrderedLocks.dll" })
        {
            Assert.True(HasRewritingSignature(Path.Combine(bin, name)), $"{name} in {bin} is not Coyote-rewritten after the second build");
        }

        // Not rewritten: what nobody listed (the harness itself, xunit).
        Assert.False(HasRewritingSignature(Path.Combine(bin, "OrderedLocks.Testing.dll")));

        string obj = tfm == "net8.0"
            ? Path.Combine(_consumer.Root, "App.Tests", "obj", "Release", tfm, System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "coyote")
            : Path.Combine(_consumer.Root, "App.Tests", "obj", "Release", tfm, "coyote");
        string[] stamp = File.ReadAllLines(Path.Combine(obj, "rewrite.stamp"));
        Assert.Equal("1.7.11", stamp[0]);
        var files = stamp.Skip(1).Select(l => Path.GetFileName(l.Split('|')[0])).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "App.Tests.dll", "Lib.dll", "OrderedLocks.dll" }, files);
        Assert.False(Directory.Exists(Path.Combine(obj, "staging")), "the staging folder was left behind");
    }

    // Coyote marks a rewritten assembly with [RewritingSignature(...)]; read it without loading the assembly.
    private static bool HasRewritingSignature(string path)
    {
        using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(path));
        MetadataReader md = pe.GetMetadataReader();
        foreach (CustomAttributeHandle handle in md.GetAssemblyDefinition().GetCustomAttributes())
        {
            CustomAttribute attribute = md.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind == HandleKind.MemberReference)
            {
                MemberReference ctor = md.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
                if (ctor.Parent.Kind == HandleKind.TypeReference
                    && md.GetString(md.GetTypeReference((TypeReferenceHandle)ctor.Parent).Name) == "RewritingSignatureAttribute")
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static byte[] ReadEntry(ZipArchive zip, string name)
    {
        ZipArchiveEntry entry = zip.GetEntry(name) ?? throw new Xunit.Sdk.XunitException($"no {name} in the package");
        using Stream stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static XElement Nuspec(ZipArchive zip)
    {
        ZipArchiveEntry entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
        using Stream stream = entry.Open();
        XDocument doc = XDocument.Load(stream);
        return doc.Root!.Element(doc.Root.Name.Namespace + "metadata")!;
    }

    private void AssertReported(string tfm, string id, string file)
    {
        var diagnostics = _consumer.AppDiagnostics(tfm);
        Assert.True(
            diagnostics.Any(d => d.Id == id && d.File == file),
            $"{id} was not reported in {file} ({tfm}). Reported: {(diagnostics.Count == 0 ? "nothing" : string.Join("; ", diagnostics.Select(d => d.Text)))}");
    }

    /// <summary>One analyzer diagnostic of the consumer app's build.</summary>
    public sealed record Diagnostic(string File, int Line, string Id, string Tfm, string Text);

    /// <summary>The consumer xunit project's test run.</summary>
    public sealed record ConsumerTestRun(string Output, IReadOnlyDictionary<string, string> Summary);

    /// <summary>
    /// Packs both packages once into a folder feed and writes the consumer projects outside the
    /// repository; builds and runs lazily, once, for the tests that need them.
    /// </summary>
    public sealed class Consumer : IDisposable
    {
        public const string RepositoryUrl = "https://github.com/orderedlocks/orderedlocks";

        private readonly string _dir = Repo.TempDirectory();
        private readonly string _artifacts;
        private readonly Lazy<IReadOnlyList<Diagnostic>> _appBuild;
        private readonly Dictionary<string, string> _appRuns = new();
        private readonly Lazy<ConsumerTestRun> _testRun;

        public Consumer()
        {
            Feed = Path.Combine(_dir, "feed");
            Root = Path.Combine(_dir, "consumer");
            Directory.CreateDirectory(Root);
            VersionPrefix = Regex.Match(File.ReadAllText(Path.Combine(Repo.Root, "Directory.Build.props")), "<VersionPrefix>([^<]+)</VersionPrefix>").Groups[1].Value;
            Version = $"{VersionPrefix}-ci.{DateTime.UtcNow:yyyyMMddHHmmssfff}";

            // dotnet pack as a release would run it (a full build: SourceLink and deterministic paths
            // come from packing, not from CI=true), into a private artifacts folder so that nothing
            // under src/*/bin changes while other test assemblies run. The folder is inside the
            // repository (artifacts/ is ignored by git) like a normal obj/: generated sources there
            // get repository-relative paths too.
            _artifacts = Path.Combine(Repo.Root, "artifacts", "consumer-test-" + Guid.NewGuid().ToString("N"));
            try
            {
                foreach (string project in new[] { "src/OrderedLocks/OrderedLocks.csproj", "src/OrderedLocks.Testing/OrderedLocks.Testing.csproj" })
                {
                    Dotnet.Run(Repo.Root, null, "pack", Path.Combine(Repo.Root, project), "-c", "Release", "--artifacts-path", _artifacts, "-o", Feed, $"-p:VersionSuffix={Version[(VersionPrefix.Length + 1)..]}");
                }

                ConsumerSources.Write(Root, Feed, Version, Readme("OrderedLocks"), Readme("OrderedLocks.Testing"));
                Commit = TryGitHead(); // the commit the packs recorded (read after packing)
            }
            catch
            {
                Dispose(); // a failed setup leaves no artifacts folder, feed or cached test version behind
                throw;
            }

            _appBuild = new Lazy<IReadOnlyList<Diagnostic>>(BuildApp);
            _testRun = new Lazy<ConsumerTestRun>(RunConsumerTests);
        }

        public string Feed { get; }

        public string Root { get; }

        public string Version { get; }

        public string VersionPrefix { get; }

        public string? Commit { get; }

        public string PackagePath(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

        public string SymbolsPath(string id) => Path.Combine(Feed, $"{id}.{Version}.snupkg");

        public string TestsBin(string tfm) => tfm == "net8.0"
            ? Path.Combine(Root, "App.Tests", "bin", "Release", tfm, System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier)
            : Path.Combine(Root, "App.Tests", "bin", "Release", tfm);

        public string Readme(string id)
        {
            using ZipArchive zip = ZipFile.OpenRead(PackagePath(id));
            using var reader = new StreamReader(zip.GetEntry("README.md")!.Open());
            return reader.ReadToEnd();
        }

        public IReadOnlyList<Diagnostic> AppDiagnostics(string tfm) => _appBuild.Value.Where(d => d.Tfm == tfm).ToArray();

        public string RunApp(string tfm)
        {
            _ = _appBuild.Value;
            lock (_appRuns)
            {
                if (!_appRuns.TryGetValue(tfm, out string? output))
                {
                    string dll = Path.Combine(Root, "App", "bin", "Release", tfm, "App.dll");
                    var env = tfm == "net8.0" ? new Dictionary<string, string> { ["DOTNET_ROLL_FORWARD"] = "Major" } : null;
                    output = Dotnet.Run(Root, env, dll);
                    _appRuns[tfm] = output;
                }

                return output;
            }
        }

        public ConsumerTestRun RunTests() => _testRun.Value;

        public void Dispose()
        {
            TryDelete(_dir);
            TryDelete(_artifacts);
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
                ? custom
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            TryDelete(Path.Combine(cache, "orderedlocks", Version));
            TryDelete(Path.Combine(cache, "orderedlocks.testing", Version));
        }

        private static string? TryGitHead()
        {
            try
            {
                string head = Dotnet.RunProcess("git", Repo.Root, null, "rev-parse", "HEAD").Trim();
                return Regex.IsMatch(head, "^[0-9a-f]{40}$") ? head : null;
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or Xunit.Sdk.XunitException)
            {
                return null; // not a git checkout: no commit to compare
            }
        }

        private IReadOnlyList<Diagnostic> BuildApp()
        {
            string output = Dotnet.Run(Root, null, "build", Path.Combine(Root, "App", "App.csproj"), "-c", "Release");
            var result = new HashSet<Diagnostic>();
            foreach (Match m in Regex.Matches(output, @"^\s*(?<path>[^\s(][^(]*?)\((?<line>\d+),\d+\): warning (?<id>OL\d{4}): (?<msg>.*?) \[(?<proj>[^\]]*?)::TargetFramework=(?<tfm>[^\]]+)\]\s*$", RegexOptions.Multiline))
            {
                string file = Path.GetFileName(m.Groups["path"].Value);
                result.Add(new Diagnostic(file, int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["id"].Value, m.Groups["tfm"].Value, $"{file}({m.Groups["line"].Value}) {m.Groups["id"].Value} [{m.Groups["tfm"].Value}]: {m.Groups["msg"].Value}"));
            }

            return result.ToArray();
        }

        private ConsumerTestRun RunConsumerTests()
        {
            // A failing consumer test is reported by the per-framework summaries, not here.
            (_, string output) = Dotnet.RunAllowingFailure(Root, null, "test", Path.Combine(Root, "App.Tests", "App.Tests.csproj"), "-c", "Release");

            // Incremental: a second build with no source change still leaves everything rewritten.
            Dotnet.Run(Root, null, "build", Path.Combine(Root, "App.Tests", "App.Tests.csproj"), "-c", "Release", "--no-restore");

            var summary = new Dictionary<string, string>();
            foreach (Match m in Regex.Matches(output, @"^(?<line>(Passed|Failed)!.*?App\.Tests\.dll \((?<tfm>net[\d.]+)\))\s*$", RegexOptions.Multiline))
            {
                summary[m.Groups["tfm"].Value] = m.Groups["line"].Value;
            }

            return new ConsumerTestRun(output, summary);
        }

        private static void TryDelete(string path)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
