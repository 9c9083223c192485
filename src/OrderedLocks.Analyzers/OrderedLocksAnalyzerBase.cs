using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using OrderedLocks.Analyzers.Engine;

namespace OrderedLocks.Analyzers;

/// <summary>
/// Common plumbing of the OrderedLocks analyzers: every rule asks the shared per-compilation
/// <see cref="LockModel"/> for each operation block (walked once, whichever rule asks first), reports
/// its method-local findings there and its compilation-wide findings at compilation end.
/// </summary>
public abstract class OrderedLocksAnalyzerBase : DiagnosticAnalyzer
{
    private protected OrderedLocksAnalyzerBase()
    {
    }

    /// <summary>The rule this analyzer reports.</summary>
    private protected abstract DiagnosticDescriptor Rule { get; }

    /// <summary>True when the rule is reported from method-local findings (live, per block).</summary>
    private protected virtual bool ReportsLocalFindings => false;

    /// <summary>True when the rule is reported from the compilation-wide lock graph.</summary>
    private protected virtual bool ReportsGraphFindings => false;

    /// <inheritdoc/>
    public sealed override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <inheritdoc/>
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            LockModel model = LockModel.For(start.Compilation, start.Options.AnalyzerConfigOptionsProvider);
            DiagnosticDescriptor rule = Rule;
            bool local = ReportsLocalFindings;
            start.RegisterOperationBlockAction(block =>
            {
                BlockResult result = model.Summarize(block);
                if (!local)
                {
                    return;
                }

                foreach (LocalFinding finding in result.Findings)
                {
                    if (finding.RuleId == rule.Id)
                    {
                        block.ReportDiagnostic(Create(rule, finding));
                    }
                }
            });

            if (ReportsGraphFindings)
            {
                start.RegisterCompilationEndAction(end =>
                {
                    foreach (LocalFinding finding in model.GetGraph().FindingsFor(rule.Id))
                    {
                        end.ReportDiagnostic(Create(rule, finding));
                    }
                });
            }
        });
    }

    private static Diagnostic Create(DiagnosticDescriptor rule, LocalFinding finding)
        => Diagnostic.Create(rule, finding.Location, finding.Additional, finding.Properties, finding.Args);

    /// <summary>Creates a descriptor with the house conventions (help link, category, end tag).</summary>
    private protected static DiagnosticDescriptor Describe(string id, string title, string message, string category, string description, bool compilationEnd)
        => new(
            id,
            title,
            message,
            category,
            DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: description,
            helpLinkUri: RuleIdentifiers.HelpLink(id),
            customTags: compilationEnd ? new[] { WellKnownDiagnosticTags.CompilationEnd } : System.Array.Empty<string>());
}
