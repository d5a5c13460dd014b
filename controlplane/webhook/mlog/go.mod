// A stand-in for monis.app/mlog, which the Go module proxy does not serve: only the API the
// azure-workload-identity webhook uses, written on log/slog. Wired in by ../go.mod's replace.
module monis.app/mlog

go 1.26.0

require github.com/go-logr/logr v1.4.3
