// Command wfvalidate checks Argo Workflows manifests with Argo's own validation code, imported
// as a library: github.com/argoproj/argo-workflows/v3 v3.7.18 (see go.mod) does the judging.
//
// Each document is decoded strictly with workflow/common.ParseObjects(body, true), as
// `argo lint --strict` does (unknown, duplicate and mistyped fields are errors), and then
// checked by workflow/validate. workflowTemplateRef and templateRef are resolved against the
// WorkflowTemplates and ClusterWorkflowTemplates found in all the files given, keyed by
// metadata.namespace as `argo lint --offline` does.
//
// Usage: wfvalidate [--mode lint|submit|create] [--json] FILE...
//
//	lint    (default) every object with ValidateOpts{Lint: true}, as `argo lint`
//	submit  Workflows with ValidateOpts{Submit: true}, as the Argo Server's SubmitWorkflow
//	        (every argument needs a value); templates with ValidateOpts{}, as when created
//	create  Workflows and templates with ValidateOpts{}, as the Argo Server's Create calls
//
// CronWorkflows are always checked as the server does (ValidateCronWorkflow has no opts).
// Output: one line per object, "OK <file>: <Kind>/<name>" or "ERROR <file>: <Kind>/<name>:
// <message>", or "ERROR <file>: <message>" for a document that could not be read as an object;
// with --json, one JSON object per line {"file","kind","name","ok","error"}.
// Exit status: 0 all OK, 1 any ERROR, 2 usage error.
//
// Stricter than `argo lint`, which skips them silently: YAML syntax errors, documents without
// a kind, kinds other than the four above, a wrong apiVersion, and files without any object
// are reported as errors.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	jsonpkg "github.com/argoproj/argo-workflows/v3/util/json"
	"github.com/argoproj/argo-workflows/v3/workflow/common"
	"github.com/argoproj/argo-workflows/v3/workflow/templateresolution"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
)

const apiVersion = "argoproj.io/v1alpha1"

// The separator ParseObjects splits on; splitting here first lets errors carry file line numbers.
var (
	yamlSeparator = regexp.MustCompile(`\n---`)
	yamlLine      = regexp.MustCompile(`\bline (\d+)`)
)

// document is one object (or one unreadable document) of one file.
type document struct {
	file, kind, name, namespace string
	obj                         metav1.Object
	err                         error
}

// result is one output line.
type result struct {
	File  string `json:"file"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

type templateGetter struct {
	namespace string
	templates map[string]*wfv1.WorkflowTemplate
}

func (g templateGetter) Get(name string) (*wfv1.WorkflowTemplate, error) {
	if t, ok := g.templates[name]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("couldn't find workflow template %q in namespace %q", name, g.namespace)
}

type clusterTemplateGetter map[string]*wfv1.ClusterWorkflowTemplate

func (g clusterTemplateGetter) Get(name string) (*wfv1.ClusterWorkflowTemplate, error) {
	if t, ok := g[name]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("couldn't find cluster workflow template %q", name)
}

// clusterScopeOnly is the namespaced getter of a ClusterWorkflowTemplate, which can only
// reference cluster templates (upstream passes nil, which would panic).
type clusterScopeOnly struct{}

func (clusterScopeOnly) Get(name string) (*wfv1.WorkflowTemplate, error) {
	return nil, fmt.Errorf("a ClusterWorkflowTemplate can only reference ClusterWorkflowTemplates (clusterScope: true), not workflow template %q", name)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("wfvalidate", flag.ContinueOnError)
	flags.SetOutput(stderr)
	mode := flags.String("mode", "lint", "lint, submit or create")
	asJSON := flags.Bool("json", false, "print one JSON object per line")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: wfvalidate [--mode lint|submit|create] [--json] FILE...")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	var wfOpts, tmplOpts validate.ValidateOpts
	switch *mode {
	case "lint":
		wfOpts, tmplOpts = validate.ValidateOpts{Lint: true}, validate.ValidateOpts{Lint: true}
	case "submit":
		wfOpts = validate.ValidateOpts{Submit: true}
	case "create":
	default:
		fmt.Fprintf(stderr, "wfvalidate: unknown --mode %q (want lint, submit or create)\n", *mode)
		return 2
	}
	if flags.NArg() == 0 {
		flags.Usage()
		return 2
	}

	var docs []document
	for _, file := range flags.Args() {
		docs = append(docs, readFile(file)...)
	}
	results := check(docs, wfOpts, tmplOpts)

	status := 0
	for _, r := range results {
		if !r.OK {
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
			fmt.Fprintf(stdout, "ERROR %s: %s\n", subject, oneLine(r.Error))
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
	if jsonpkg.IsJSON(body) {
		docs = append(docs, readDocument(file, body, 1)...)
	} else {
		start := 0
		for _, sep := range append(yamlSeparator.FindAllIndex(body, -1), []int{len(body), len(body)}) {
			chunk := body[start:sep[0]]
			line := 1 + bytes.Count(body[:start], []byte("\n"))
			if strings.TrimSpace(string(chunk)) != "" {
				docs = append(docs, readDocument(file, chunk, line)...)
			}
			start = sep[1]
		}
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
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
	}
	raw, err := yaml.YAMLToJSON(chunk)
	if err != nil {
		return []document{{file: file, err: fmt.Errorf("document at line %d: %s", first, fileLines(err.Error(), line))}}
	}
	if string(raw) == "null" {
		return nil // only comments
	}
	if !bytes.HasPrefix(raw, []byte("{")) {
		return []document{{file: file, err: fmt.Errorf("document at line %d is not a mapping: not a Kubernetes object", first)}}
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return []document{{file: file, err: fmt.Errorf("document at line %d: %w", first, err)}}
	}
	d := document{file: file, kind: head.Kind, name: head.Metadata.Name, namespace: head.Metadata.Namespace}
	if d.name == "" {
		d.name = head.Metadata.GenerateName
	}
	switch head.Kind {
	case "":
		d.err = fmt.Errorf("document at line %d has no kind: not a Kubernetes object", first)
		return []document{d}
	case "Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow":
	default:
		d.err = fmt.Errorf("kind %q is not checked by wfvalidate (only Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow; argo lint skips other kinds silently)", head.Kind)
		return []document{d}
	}
	if head.APIVersion != apiVersion {
		d.err = fmt.Errorf("apiVersion %q: want %q", head.APIVersion, apiVersion)
		return []document{d}
	}
	for _, parsed := range common.ParseObjects(chunk, true) {
		d.obj, d.err = parsed.Object, parsed.Err
		if d.err != nil {
			d.err = fmt.Errorf("%s", fileLines(d.err.Error(), line))
		}
		return []document{d}
	}
	d.err = fmt.Errorf("document at line %d: not parsed", first)
	return []document{d}
}

// fileLines turns the parser's "line N" (counted from the document's start) into file lines.
func fileLines(msg string, start int) string {
	return yamlLine.ReplaceAllStringFunc(msg, func(m string) string {
		n, _ := strconv.Atoi(yamlLine.FindStringSubmatch(m)[1])
		return "line " + strconv.Itoa(n+start-1)
	})
}

// check loads every template into the getters, then validates every document.
func check(docs []document, wfOpts, tmplOpts validate.ValidateOpts) []result {
	namespaced := map[string]templateGetter{}
	cluster := clusterTemplateGetter{}
	duplicate := map[int]error{}
	for i, d := range docs {
		switch t := d.obj.(type) {
		case *wfv1.WorkflowTemplate:
			g, ok := namespaced[d.namespace]
			if !ok {
				g = templateGetter{namespace: d.namespace, templates: map[string]*wfv1.WorkflowTemplate{}}
				namespaced[d.namespace] = g
			}
			if _, dup := g.templates[t.Name]; dup {
				duplicate[i] = fmt.Errorf("duplicate WorkflowTemplate found: %q", t.Name)
			} else {
				g.templates[t.Name] = t
			}
		case *wfv1.ClusterWorkflowTemplate:
			if _, dup := cluster[t.Name]; dup {
				duplicate[i] = fmt.Errorf("duplicate ClusterWorkflowTemplate found: %q", t.Name)
			} else {
				cluster[t.Name] = t
			}
		}
	}
	getter := func(namespace string) templateGetter {
		if g, ok := namespaced[namespace]; ok {
			return g
		}
		return templateGetter{namespace: namespace}
	}

	results := make([]result, 0, len(docs))
	for i, d := range docs {
		err := d.err
		if err == nil {
			err = duplicate[i]
		}
		if err == nil {
			err = validateObject(d.obj, getter(d.namespace), cluster, wfOpts, tmplOpts)
		}
		r := result{File: d.file, Kind: d.kind, Name: d.name, OK: err == nil}
		if err != nil {
			r.Error = err.Error()
		}
		results = append(results, r)
	}
	return results
}

func validateObject(obj metav1.Object, g templateresolution.WorkflowTemplateNamespacedGetter, cg templateresolution.ClusterWorkflowTemplateGetter, wfOpts, tmplOpts validate.ValidateOpts) error {
	switch v := obj.(type) {
	case *wfv1.Workflow:
		return validate.ValidateWorkflow(g, cg, v, nil, wfOpts)
	case *wfv1.WorkflowTemplate:
		return validate.ValidateWorkflowTemplate(g, cg, v, nil, tmplOpts)
	case *wfv1.ClusterWorkflowTemplate:
		return validate.ValidateClusterWorkflowTemplate(clusterScopeOnly{}, cg, v, nil, tmplOpts)
	case *wfv1.CronWorkflow:
		return validate.ValidateCronWorkflow(context.Background(), g, cg, v, nil)
	}
	return fmt.Errorf("unexpected object type %T", obj)
}

func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", " ")
}
