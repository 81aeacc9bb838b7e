// Package gen writes synthetic Ansible inventories for benchmarks: an INI
// file with nested groups and inline vars, plus group_vars/ and host_vars/
// YAML files, all derived from a seed so every run sees the same bytes.
//
// The inventory is a directory holding a file named "hosts" (no extension):
// inside a directory source Ansible skips *.ini files, while a file without
// an extension is parsed (by the yaml plugin, which fails, then by ini).
// Both `ansible-inventory -i DIR` and `kook-import DIR` read DIR/hosts
// together with DIR/group_vars and DIR/host_vars.
package gen

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
)

// Options say what Generate writes.
type Options struct {
	// Hosts is the number of hosts, at least 1.
	Hosts int
	// Groups is the number of groups besides all and ungrouped, at least
	// MinGroups.
	Groups int
	// Seed selects the inventory: equal options give byte-identical files.
	Seed uint64
	// Depth is how many levels of groups hang below all: 2 (parents of the
	// host groups) or 3 (a level between). 0 means 2.
	Depth int
	// Revision, when not 0, adds the var revision=Revision to every 100th
	// host in a group and changes nothing else, not even line numbers: two
	// revisions of one inventory differ in 1% of hosts, for benchmarking
	// re-imports that really write.
	Revision int
}

// MinGroups is the fewest groups Generate accepts: the four tag groups
// (three env_* and CanaryGroup) and one group per nesting level.
const MinGroups = 4 + 3

// CanaryGroup is the group holding every 100th host in a group (1% of the
// hosts, less the few ungrouped ones): a host pattern selecting about 1% of
// the inventory.
const CanaryGroup = "canary"

// envGroups are tag groups every host in a group joins one of (weights in
// percent), besides CanaryGroup.
var envGroups = []struct {
	name   string
	weight int
}{{"env_prod", 70}, {"env_staging", 20}, {"env_dev", 10}}

// Generate writes an inventory into dir, which must not exist or be empty:
// dir/hosts (INI), dir/group_vars/<group>.yml for about three groups in
// four plus all.yml, and dir/host_vars/<host>.yml for about 1% of the hosts.
func Generate(dir string, opts Options) error {
	if opts.Depth == 0 {
		opts.Depth = 2
	}
	if err := opts.check(); err != nil {
		return err
	}
	if err := emptyDir(dir); err != nil {
		return err
	}
	inv := plan(opts)
	if err := writeFile(filepath.Join(dir, "hosts"), inv.writeINI); err != nil {
		return err
	}
	return inv.writeVarsFiles(dir)
}

func (o Options) check() error {
	switch {
	case o.Hosts < 1:
		return fmt.Errorf("generate: %d hosts: want at least 1", o.Hosts)
	case o.Groups < MinGroups:
		return fmt.Errorf("generate: %d groups: want at least %d", o.Groups, MinGroups)
	case o.Depth != 2 && o.Depth != 3:
		return fmt.Errorf("generate: depth %d: want 2 or 3", o.Depth)
	case o.Revision < 0:
		return fmt.Errorf("generate: revision %d: want 0 or more", o.Revision)
	}
	return nil
}

// emptyDir creates dir, or accepts it if it is empty: Generate must not
// mix its files with another inventory's, nor delete anyone's.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("generate: %s is not empty", dir)
	}
	return nil
}

// Names are drawn from these: a host group is <role>_<region>_<nn> and its
// hosts <role>-<region>-<nnnn>.example.com.
var (
	roles = []string{"web", "api", "db", "cache", "queue", "search", "lb", "worker",
		"auth", "mail", "proxy", "storage", "metrics", "logs", "batch", "cron",
		"gateway", "ldap", "dns", "vault", "kafka", "redis", "mongo", "ci"}
	regions = []string{"eu", "us", "ap", "sa", "af", "me", "ca", "au"}
)

// group is one group of the plan. Host groups (leaves) hold hosts; the
// others hold children.
type group struct {
	name     string
	hosts    []int // host indexes, in the order written
	children []string
}

// host is one host of the plan: ungrouped hosts come first.
type host struct {
	name      string
	ungrouped bool
	leaf      int  // its first host group, whose section carries the vars
	vars      []kv // inline on the host's line
}

type kv struct{ key, val string }

// layout is everything Generate writes, decided before writing so that
// writing draws no random numbers.
type layout struct {
	opts     Options
	hosts    []host
	leaves   []*group // host groups, in section order
	tags     []*group // envGroups then CanaryGroup
	parents  []*group // [p:children] sections: the mid level, then the top
	varGroup []string // groups with a [g:vars] section, in section order
	gvars    map[string][]kv
	gfiles   map[string]string // group_vars/<g>.yml content
	hfiles   []hostFile
	allFile  string // group_vars/all.yml
}

type hostFile struct{ host, text string }

// plan decides the inventory. Every random choice is made here, in a fixed
// order, from one PCG stream seeded with opts.Seed.
func plan(o Options) *layout {
	r := rand.New(rand.NewPCG(o.Seed, 0x6b6f6f6b)) // "kook"
	inv := &layout{opts: o, gvars: map[string][]kv{}, gfiles: map[string]string{}}

	nTop, nMid := max(1, o.Groups/20), 0
	if o.Depth == 3 {
		nTop, nMid = max(1, o.Groups/50), max(1, o.Groups/10)
	}
	nLeaf := o.Groups - len(envGroups) - 1 - nTop - nMid // >= 1 given MinGroups
	for i := range nLeaf {
		inv.leaves = append(inv.leaves, &group{name: leafName(i)})
	}
	tops := make([]*group, nTop)
	for i := range tops {
		name := fmt.Sprintf("dc_%s_%02d", regions[i%len(regions)], i/len(regions))
		if o.Depth == 3 {
			name = fmt.Sprintf("region_%s_%02d", regions[i%len(regions)], i/len(regions))
		}
		tops[i] = &group{name: name}
	}
	// Host groups hang below the level above them; one in twenty has a
	// second parent, as real inventories share groups across sites.
	uppers := tops
	if o.Depth == 3 {
		mids := make([]*group, nMid)
		for i := range mids {
			mids[i] = &group{name: fmt.Sprintf("pod_%s_%03d", regions[i%len(regions)], i/len(regions))}
			t := tops[r.IntN(nTop)]
			t.children = append(t.children, mids[i].name)
		}
		uppers = mids
	}
	for _, l := range inv.leaves {
		p := r.IntN(len(uppers))
		uppers[p].children = append(uppers[p].children, l.name)
		if q := r.IntN(len(uppers)); q != p && r.IntN(20) == 0 {
			uppers[q].children = append(uppers[q].children, l.name)
		}
	}
	if o.Depth == 3 {
		inv.parents = append(inv.parents, uppers...)
	}
	inv.parents = append(inv.parents, tops...)
	for _, e := range envGroups {
		inv.tags = append(inv.tags, &group{name: e.name})
	}
	canary := &group{name: CanaryGroup}
	inv.tags = append(inv.tags, canary)

	inv.planHosts(r, canary)

	for gi, g := range inv.allGroups() {
		inv.varGroup = append(inv.varGroup, g.name)
		inv.gvars[g.name] = groupVars(r, gi%30 == 7)
		if r.IntN(4) != 0 {
			inv.gfiles[g.name] = groupFile(r)
		}
	}
	inv.allFile = allFile(r)
	return inv
}

// planHosts creates the hosts and puts each in one host group, one
// envGroups group, maybe a second host group (one in ten) and CanaryGroup
// (every 100th).
func (inv *layout) planHosts(r *rand.Rand, canary *group) {
	o := inv.opts
	nUngrouped := o.Hosts / 1000
	for i := range nUngrouped {
		h := host{name: fmt.Sprintf("bastion-%s-%02d.example.com", regions[i%len(regions)], i/len(regions)), ungrouped: true}
		h.vars = hostVars(r, i)
		inv.hosts = append(inv.hosts, h)
	}
	counters := make([]int, len(roles)*len(regions))
	for i := nUngrouped; i < o.Hosts; i++ {
		li := r.IntN(len(inv.leaves))
		role, region := li%len(roles), (li/len(roles))%len(regions)
		c := &counters[role*len(regions)+region]
		*c++
		h := host{name: fmt.Sprintf("%s-%s-%04d.example.com", roles[role], regions[region], *c)}
		h.vars = hostVars(r, i)
		n := i - nUngrouped // index among grouped hosts
		if o.Revision != 0 && n%100 == 0 {
			h.vars = append(h.vars, kv{"revision", fmt.Sprint(o.Revision)})
		}
		h.leaf = li
		inv.hosts = append(inv.hosts, h)
		inv.leaves[li].hosts = append(inv.leaves[li].hosts, i)
		if second := r.IntN(len(inv.leaves)); second != li && r.IntN(10) == 0 {
			inv.leaves[second].hosts = append(inv.leaves[second].hosts, i)
		}
		w := r.IntN(100)
		for j, e := range envGroups {
			if w < e.weight || j == len(envGroups)-1 {
				inv.tags[j].hosts = append(inv.tags[j].hosts, i)
				break
			}
			w -= e.weight
		}
		if n%100 == 50 {
			canary.hosts = append(canary.hosts, i)
		}
		if n%100 == 7 {
			inv.hfiles = append(inv.hfiles, hostFile{h.name, hostFileText(r, i)})
		}
	}
}

func leafName(i int) string {
	return fmt.Sprintf("%s_%s_%02d", roles[i%len(roles)], regions[(i/len(roles))%len(regions)], i/(len(roles)*len(regions)))
}

// allGroups returns every planned group in [g:vars] section order.
func (inv *layout) allGroups() []*group {
	return slices.Concat(inv.leaves, inv.parents, inv.tags)
}

// writeVarsFiles writes group_vars/ and host_vars/.
func (inv *layout) writeVarsFiles(dir string) error {
	gdir, hdir := filepath.Join(dir, "group_vars"), filepath.Join(dir, "host_vars")
	for _, d := range []string{gdir, hdir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(gdir, "all.yml"), []byte(inv.allFile), 0o644); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	for _, g := range inv.varGroup {
		text, ok := inv.gfiles[g]
		if !ok {
			continue
		}
		if err := os.WriteFile(filepath.Join(gdir, g+".yml"), []byte(text), 0o644); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	for _, f := range inv.hfiles {
		if err := os.WriteFile(filepath.Join(hdir, f.host+".yml"), []byte(f.text), 0o644); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	return nil
}
