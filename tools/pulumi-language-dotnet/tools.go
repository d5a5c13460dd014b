//go:build tools

// Package tools pins the Pulumi .NET language host, which `pulumi package gen-sdk --language
// dotnet` hands the component provider's schema to. Like the YAML host it requires its own pkg/v3
// (a v3.219 pseudo-version), so it builds in a module of its own.
package tools

import _ "github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3"
