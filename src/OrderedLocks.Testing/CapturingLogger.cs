using System.Globalization;
using System.Text;
using Microsoft.Coyote.Logging;

namespace OrderedLocks.Testing;

// Keeps what Coyote logs while replaying a schedule (the runtime's log of that one iteration and
// the test's own console output), for ReplayResult.ReadableTrace: Coyote fills its own
// ReadableTrace only while exploring, never on replay.
internal sealed class CapturingLogger : ILogger
{
    private readonly StringBuilder _text = new();

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public void Write(string value) => Append(value, newLine: false);

    public void Write(string format, object arg0) => Append(Format(format, arg0), newLine: false);

    public void Write(string format, object arg0, object arg1) => Append(Format(format, arg0, arg1), newLine: false);

    public void Write(string format, object arg0, object arg1, object arg2) => Append(Format(format, arg0, arg1, arg2), newLine: false);

    public void Write(string format, params object[] args) => Append(Format(format, args), newLine: false);

    public void Write(LogSeverity severity, string value) => Write(value);

    public void Write(LogSeverity severity, string format, object arg0) => Write(format, arg0);

    public void Write(LogSeverity severity, string format, object arg0, object arg1) => Write(format, arg0, arg1);

    public void Write(LogSeverity severity, string format, object arg0, object arg1, object arg2) => Write(format, arg0, arg1, arg2);

    public void Write(LogSeverity severity, string format, params object[] args) => Write(format, args);

    public void WriteLine(string value) => Append(value, newLine: true);

    public void WriteLine(string format, object arg0) => Append(Format(format, arg0), newLine: true);

    public void WriteLine(string format, object arg0, object arg1) => Append(Format(format, arg0, arg1), newLine: true);

    public void WriteLine(string format, object arg0, object arg1, object arg2) => Append(Format(format, arg0, arg1, arg2), newLine: true);

    public void WriteLine(string format, params object[] args) => Append(Format(format, args), newLine: true);

    public void WriteLine(LogSeverity severity, string value) => WriteLine(value);

    public void WriteLine(LogSeverity severity, string format, object arg0) => WriteLine(format, arg0);

    public void WriteLine(LogSeverity severity, string format, object arg0, object arg1) => WriteLine(format, arg0, arg1);

    public void WriteLine(LogSeverity severity, string format, object arg0, object arg1, object arg2) => WriteLine(format, arg0, arg1, arg2);

    public void WriteLine(LogSeverity severity, string format, params object[] args) => WriteLine(format, args);

    public void Dispose()
    {
    }

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

    private void Append(string value, bool newLine)
    {
        lock (_text)
        {
            _text.Append(value);
            if (newLine)
            {
                _text.AppendLine();
            }
        }
    }
}
