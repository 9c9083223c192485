using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Runtime.CompilerServices;
using System.Text;

namespace OrderedLocks.Testing;

/// <summary>
/// Where a campaign's test method is in the source: file and line range from the portable PDB
/// (beside the assembly or embedded in it), and the lines themselves when that file is on this
/// machine. Used in bug reports so that a report names the code it is about.
/// </summary>
public static class SourceLines
{
    // A bug report shows at most this many source lines of the test method.
    private const int MaxLines = 60;

    /// <summary>
    /// Describes where <paramref name="method"/> is: <c>Type.Method at path/File.cs:12-30</c>, followed by
    /// the numbered source lines when the file exists here; <see langword="null"/> when the assembly
    /// has no portable PDB or the method has no line information.
    /// </summary>
    /// <param name="method">The test method (for an async method or lambda, its state machine is followed).</param>
    /// <returns>The description, or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="method"/> is null.</exception>
    public static string? Describe(MethodInfo method)
    {
        ArgumentNullException.ThrowIfNull(method);
        try
        {
            MethodBase body = method.GetCustomAttribute<AsyncStateMachineAttribute>()?.StateMachineType
                .GetMethod("MoveNext", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public) ?? (MethodBase)method;
            string location = body.Module.Assembly.Location;
            if (location.Length == 0 || !File.Exists(location))
            {
                return null;
            }

            using MetadataReaderProvider? provider = OpenPdb(location);
            if (provider is null)
            {
                return null;
            }

            MetadataReader pdb = provider.GetMetadataReader();
            MethodDefinitionHandle handle = MetadataTokens.MethodDefinitionHandle(body.MetadataToken);
            MethodDebugInformation info = pdb.GetMethodDebugInformation(handle.ToDebugInformationHandle());
            string? path = null;
            int first = int.MaxValue;
            int last = 0;
            foreach (SequencePoint point in info.GetSequencePoints())
            {
                if (point.IsHidden)
                {
                    continue;
                }

                path ??= pdb.GetString(pdb.GetDocument(point.Document).Name);
                first = Math.Min(first, point.StartLine);
                last = Math.Max(last, point.EndLine);
            }

            if (path is null)
            {
                return null;
            }

            // Include the signature line(s) above the first statement when the file is readable.
            var text = new StringBuilder();
            text.Append(DisplayName(method)).Append(" at ").Append(path).Append(':').Append(first).Append('-').Append(last);
            string? readable = FindSourceFile(path, location);
            if (readable is not null)
            {
                string[] lines = File.ReadAllLines(readable);
                int from = Math.Max(1, first - 2);
                int to = Math.Min(lines.Length, Math.Min(last, from + MaxLines - 1));
                for (int line = from; line <= to; line++)
                {
                    text.AppendLine().Append(line.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(5)).Append(" | ").Append(lines[line - 1]);
                }
            }

            return text.ToString();
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
        {
            return null; // no usable line information: the report goes without it
        }
    }

    /// <summary>Gets a readable name for a method: <c>Type.Method</c>, with compiler-generated lambda and closure names undone.</summary>
    /// <param name="method">The method.</param>
    /// <returns>For example <c>TransferTests.RawBothWaysAsync</c>, or <c>TransferTests.Setup (lambda)</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="method"/> is null.</exception>
    public static string DisplayName(MethodInfo method)
    {
        ArgumentNullException.ThrowIfNull(method);
        Type? type = method.DeclaringType;
        while (type is not null && type.Name.StartsWith('<') && type.DeclaringType is not null)
        {
            type = type.DeclaringType; // closure class <>c or <>c__DisplayClass
        }

        string name = method.Name;
        bool lambda = false;
        if (name.StartsWith('<') && name.IndexOf('>', StringComparison.Ordinal) is > 1 and int end)
        {
            name = name.Substring(1, end - 1); // <Enclosing>b__0_0 or <Enclosing>g__Local|0_0
            lambda = method.Name.Contains(">b__", StringComparison.Ordinal);
            int local = method.Name.IndexOf(">g__", StringComparison.Ordinal);
            if (local > 0)
            {
                int bar = method.Name.IndexOf('|', local);
                name = bar > local ? method.Name.Substring(local + 4, bar - local - 4) : name;
            }
        }

        return (type is null ? name : $"{type.Name}.{name}") + (lambda ? " (lambda)" : string.Empty);
    }

    // The PDB's document path as a file on this machine. A deterministic (CI) build maps the source
    // root to "/_/", so "/_/tests/X/File.cs" is looked up relative to each folder above the
    // assembly (bin/Release/net10.0 lies inside the project, inside the repository); null when the
    // file is not here.
    private static string? FindSourceFile(string documentPath, string assemblyPath)
    {
        if (File.Exists(documentPath))
        {
            return documentPath;
        }

        string normalized = documentPath.Replace('\\', '/');
        if (!normalized.StartsWith("/_", StringComparison.Ordinal))
        {
            return null;
        }

        int rootEnd = normalized.IndexOf('/', 1);
        string relative = rootEnd < 0 ? string.Empty : normalized.Substring(rootEnd + 1);
        if (relative.Length == 0)
        {
            return null;
        }

        for (DirectoryInfo? folder = new FileInfo(assemblyPath).Directory; folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    // Opens the portable PDB beside the assembly, or the one embedded in it; null when there is none.
    // The returned provider owns everything it reads from.
    private static MetadataReaderProvider? OpenPdb(string assemblyPath)
    {
        string pdbPath = Path.ChangeExtension(assemblyPath, ".pdb");
        if (File.Exists(pdbPath))
        {
            return MetadataReaderProvider.FromPortablePdbStream(File.OpenRead(pdbPath), MetadataStreamOptions.PrefetchMetadata);
        }

        using var pe = new PEReader(File.OpenRead(assemblyPath), PEStreamOptions.PrefetchEntireImage);
        foreach (DebugDirectoryEntry entry in pe.ReadDebugDirectory())
        {
            if (entry.Type == DebugDirectoryEntryType.EmbeddedPortablePdb)
            {
                return pe.ReadEmbeddedPortablePdbDebugDirectoryData(entry); // decompressed into its own memory
            }
        }

        return null;
    }
}
