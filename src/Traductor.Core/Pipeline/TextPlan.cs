using Traductor.Core.Caching;
using Traductor.Core.Segmentation;

namespace Traductor.Core.Pipeline;

/// <summary>A segment of a text: answered by the cache, or waiting for the job at <see cref="JobIndex"/>.</summary>
internal sealed record PlannedSegment(CacheKey Key, CachedSegment? Cached, int JobIndex);

/// <summary>One text of a request: its layout (separators kept) and its segments in order.</summary>
internal sealed record TextPlan(TextLayout Layout, IReadOnlyList<PlannedSegment> Segments);
