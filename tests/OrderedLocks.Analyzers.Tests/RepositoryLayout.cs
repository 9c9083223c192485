namespace OrderedLocks.Analyzers.Tests;

/// <summary>Finds the repository root: the folder above the test assembly that holds OrderedLocks.sln.</summary>
internal static class RepositoryLayout
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OrderedLocks.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("OrderedLocks.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => s_root.Value;
}
