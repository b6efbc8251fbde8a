// Command evvalidate checks Argo Events manifests with Argo Events' own validation code,
// imported as a library: github.com/argoproj/argo-events v1.9.11 (see go.mod) does the judging.
//
// Each document is decoded strictly into the pkg/apis/events/v1alpha1 types (YAMLToJSONStrict,
// then sigs.k8s.io/json UnmarshalStrict, the decoder `argo lint --strict` uses for Workflows:
// unknown, duplicate and mistyped fields are errors, field names are case-sensitive). Then
//
//	EventSource  reconciler/eventsource.ValidateEventSource
//	Sensor       reconciler/sensor.ValidateSensor, against a JetStream EventBus
//	EventBus     reconciler/eventbus.ValidateEventBus
//
// Upstream's own `argo-events lint` decodes non-strictly (unknown fields are dropped).
// The Workflow embedded in an argoWorkflow trigger (source.resource) is kept as raw JSON by
// the types and not checked here: `evvalidate --extract-workflows FILE...` prints those
// Workflows as YAML documents for `wfvalidate --mode submit`.
//
// Usage: evvalidate [--json] FILE...  |  evvalidate --extract-workflows FILE...
// Output: one line per object, "OK <file>: <Kind>/<name>" or "ERROR <file>: <Kind>/<name>:
// <message>", or "ERROR <file>: <message>" for a document that could not be read as an object;
// with --json, one JSON object per line {"file","kind","name","ok","error"}.
// Exit status: 0 all OK, 1 any ERROR, 2 usage error.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/argoproj/argo-events/pkg/apis/events/v1alpha1"
	"github.com/argoproj/argo-events/pkg/reconciler/eventbus"
	"github.com/argoproj/argo-events/pkg/reconciler/eventsource"
	"github.com/argoproj/argo-events/pkg/reconciler/sensor"
)

const apiVersion = "argoproj.io/v1alpha1"

var (
	yamlSeparator = regexp.MustCompile(`\n---`)
	yamlLine      = regexp.MustCompile(`\bline (\d+)`)
)

// document is one object (or one unreadable document) of one file.
type document struct {
	file, kind, name string
	obj              any
	err              error
}

// result is one output line.
type result struct {
	File  string `json:"file"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("evvalidate", flag.ContinueOnError)
	flags.SetOutput(stderr)
	asJSON := flags.Bool("json", false, "print one JSON object per line")
	extract := flags.Bool("extract-workflows", false, "print the Workflows of argoWorkflow triggers (source.resource) as YAML")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: evvalidate [--json] FILE...\n       evvalidate --extract-workflows FILE...")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() == 0 || (*extract && *asJSON) {
		flags.Usage()
		return 2
	}
	var docs []document
	for _, file := range flags.Args() {
		docs = append(docs, readFile(file)...)
	}
	if *extract {
		return extractWorkflows(docs, stdout, stderr)
	}

	status := 0
	for _, d := range docs {
		err := d.err
		if err == nil {
			err = validateObject(d.obj)
		}
		r := result{File: d.file, Kind: d.kind, Name: d.name, OK: err == nil}
		if err != nil {
			r.Error = err.Error()
			status = 1
		}
		if *asJSON {
			line, _ := json.Marshal(r)
			fmt.Fprintln(stdout, string(line))
			continue
		}
		subject := r.File
		if r.Kind != "" {
			subject += ": " + r.Kind + "/" + r.Name
		}
		if r.OK {
			fmt.Fprintf(stdout, "OK %s\n", subject)
		} else {
			fmt.Fprintf(stdout, "ERROR %s: %s\n", subject, strings.ReplaceAll(r.Error, "\n", " "))
		}
	}
	return status
}

func validateObject(obj any) error {
	switch v := obj.(type) {
	case *v1alpha1.EventSource:
		return eventsource.ValidateEventSource(v)
	case *v1alpha1.Sensor:
		bus := &v1alpha1.EventBus{Spec: v1alpha1.EventBusSpec{JetStream: &v1alpha1.JetStreamBus{}}}
		return sensor.ValidateSensor(v, bus)
	case *v1alpha1.EventBus:
		return eventbus.ValidateEventBus(v)
	}
	return fmt.Errorf("unexpected object type %T", obj)
}

// extractWorkflows prints every argoWorkflow trigger's source.resource (dlqTriggers included)
// as a YAML document, verbatim (trigger parameters are not applied). It reads Sensors even when
// they fail validation, skips other kinds, and fails only on unreadable files and documents.
func extractWorkflows(docs []document, stdout, stderr io.Writer) int {
	status := 0
	for _, d := range docs {
		s, ok := d.obj.(*v1alpha1.Sensor)
		if !ok {
			if d.kind == "" { // unreadable: other kinds are skipped
				fmt.Fprintf(stderr, "evvalidate: %s: %v\n", d.file, d.err)
				status = 1
			}
			continue
		}
		for _, trigger := range s.Spec.Triggers {
			for t := &trigger; t != nil; t = t.DlqTrigger {
				if t.Template == nil || t.Template.ArgoWorkflow == nil || t.Template.ArgoWorkflow.Source == nil ||
					t.Template.ArgoWorkflow.Source.Resource == nil {
					continue
				}
				out, err := yaml.JSONToYAML(t.Template.ArgoWorkflow.Source.Resource.Value)
				if err != nil {
					fmt.Fprintf(stderr, "evvalidate: %s: Sensor/%s trigger %q: %v\n", d.file, d.name, t.Template.Name, err)
					status = 1
					continue
				}
				fmt.Fprintf(stdout, "---\n# from %s: Sensor/%s trigger %q\n%s", d.file, d.name, t.Template.Name, out)
			}
		}
	}
	return status
}

// readFile splits a file into documents and decodes each strictly.
func readFile(file string) []document {
	body, err := os.ReadFile(file)
	if err != nil {
		return []document{{file: file, err: err}}
	}
	var docs []document
	start := 0
	for _, sep := range append(yamlSeparator.FindAllIndex(body, -1), []int{len(body), len(body)}) {
		chunk := body[start:sep[0]]
		line := 1 + bytes.Count(body[:start], []byte("\n"))
		if strings.TrimSpace(string(chunk)) != "" {
			docs = append(docs, readDocument(file, chunk, line)...)
		}
		start = sep[1]
	}
	if len(docs) == 0 {
		docs = append(docs, document{file: file, err: fmt.Errorf("no Kubernetes object found")})
	}
	return docs
}

// readDocument decodes one document whose first line (the "---" line, if any) is line `line`
// of its file.
func readDocument(file string, chunk []byte, line int) []document {
	first := line // the first line of the document's content, for messages
	if line > 1 {
		first++
	}
	raw, err := yaml.YAMLToJSONStrict(chunk)
	if err != nil {
		return []document{{file: file, err: fmt.Errorf("document at line %d: %s", first, fileLines(err.Error(), line))}}
	}
	if string(raw) == "null" {
		return nil // only comments
	}
	if !bytes.HasPrefix(raw, []byte("{")) {
		return []document{{file: file, err: fmt.Errorf("document at line %d is not a mapping: not a Kubernetes object", first)}}
	}
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return []document{{file: file, err: fmt.Errorf("document at line %d: %w", first, err)}}
	}
	d := document{file: file, kind: head.Kind, name: head.Metadata.Name}
	if d.name == "" {
		d.name = head.Metadata.GenerateName
	}
	switch head.Kind {
	case "":
		d.err = fmt.Errorf("document at line %d has no kind: not a Kubernetes object", first)
		return []document{d}
	case "EventSource":
		d.obj = &v1alpha1.EventSource{}
	case "Sensor":
		d.obj = &v1alpha1.Sensor{}
	case "EventBus":
		d.obj = &v1alpha1.EventBus{}
	default:
		d.err = fmt.Errorf("kind %q is not checked by evvalidate (only EventSource, Sensor, EventBus)", head.Kind)
		return []document{d}
	}
	if head.APIVersion != apiVersion {
		d.err = fmt.Errorf("apiVersion %q: want %q", head.APIVersion, apiVersion)
		return []document{d}
	}
	strictErrs, err := kjson.UnmarshalStrict(raw, d.obj)
	switch {
	case err != nil:
		d.err = err
	case len(strictErrs) > 0:
		msgs := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			msgs[i] = e.Error()
		}
		d.err = fmt.Errorf("strict decoding error: %s", strings.Join(msgs, ", "))
	}
	return []document{d}
}

// fileLines turns the parser's "line N" (counted from the document's start) into file lines.
func fileLines(msg string, start int) string {
	return yamlLine.ReplaceAllStringFunc(msg, func(m string) string {
		n, _ := strconv.Atoi(yamlLine.FindStringSubmatch(m)[1])
		return "line " + strconv.Itoa(n+start-1)
	})
}
