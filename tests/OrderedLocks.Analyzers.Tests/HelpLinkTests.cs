using Microsoft.CodeAnalysis;
using Xunit;

namespace OrderedLocks.Analyzers.Tests;

public sealed class HelpLinkTests
{
    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        foreach (DiagnosticDescriptor descriptor in Descriptors())
        {
            data.Add(descriptor.Id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Descriptor_HelpLink_PointsAtExistingDocPage(string id)
    {
        DiagnosticDescriptor descriptor = Descriptors().Single(d => d.Id == id);
        Assert.Equal(RuleIdentifiers.HelpLink(id), descriptor.HelpLinkUri);
        Assert.StartsWith("https://github.com/orderedlocks/orderedlocks/blob/main/docs/analyzers/", descriptor.HelpLinkUri, StringComparison.Ordinal);
        string page = Path.Combine(RepositoryLayout.Root, "docs", "analyzers", id + ".md");
        Assert.True(File.Exists(page), $"missing {page}");
        Assert.StartsWith("# " + id + ":", File.ReadAllText(page), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Descriptor_IsTrackedAndIndexed(string id)
    {
        string unshipped = File.ReadAllText(Path.Combine(RepositoryLayout.Root, "src", "OrderedLocks.Analyzers", "AnalyzerReleases.Unshipped.md"));
        string shipped = File.ReadAllText(Path.Combine(RepositoryLayout.Root, "src", "OrderedLocks.Analyzers", "AnalyzerReleases.Shipped.md"));
        Assert.True(unshipped.Contains(id + " |", StringComparison.Ordinal) || shipped.Contains(id + " |", StringComparison.Ordinal));
        string index = File.ReadAllText(Path.Combine(RepositoryLayout.Root, "docs", "analyzers", "README.md"));
        Assert.Contains("[" + id + "](" + id + ".md)", index, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryRulePage_HasADescriptor()
    {
        var ids = Descriptors().Select(d => d.Id).ToHashSet();
        foreach (string page in Directory.GetFiles(Path.Combine(RepositoryLayout.Root, "docs", "analyzers"), "OL*.md"))
        {
            Assert.Contains(Path.GetFileNameWithoutExtension(page), ids);
        }
    }

    [Fact]
    public void Descriptors_AreUniqueAndInTheirRange()
    {
        DiagnosticDescriptor[] all = Descriptors().ToArray();
        Assert.Equal(all.Length, all.Select(d => d.Id).Distinct().Count());
        foreach (DiagnosticDescriptor descriptor in all)
        {
            int number = int.Parse(descriptor.Id.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture);
            string expectedCategory = number < 100 ? RuleIdentifiers.DeadlockCategory : RuleIdentifiers.ConditionCategory;
            Assert.Equal(expectedCategory, descriptor.Category);
            Assert.True(descriptor.IsEnabledByDefault);
        }
    }

    private static IEnumerable<DiagnosticDescriptor> Descriptors()
        => AnalyzerRunner.AllAnalyzers.SelectMany(a => a.SupportedDiagnostics);
}
