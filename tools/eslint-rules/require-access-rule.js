// ESLint rule `warden/require-access-rule`: every HTTP handler of a Nest controller declares how it
// may be reached — @Public(), @Authenticated() or @Roles(...) on the handler or on its controller.
// The global AuthGuard refuses undeclared handlers at run time; this rule catches them at review.
const HTTP_METHODS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'All', 'Head', 'Options', 'Sse']);
const ACCESS_RULES = new Set(['Public', 'Authenticated', 'Roles']);

const decoratorName = (decorator) => {
  const expression = decorator.expression;
  if (expression.type === 'CallExpression' && expression.callee.type === 'Identifier') return expression.callee.name;
  if (expression.type === 'Identifier') return expression.name;
  return null;
};
const names = (node) => (node.decorators ?? []).map(decoratorName).filter(Boolean);

module.exports = {
  meta: {
    type: 'problem',
    docs: { description: 'HTTP handlers must declare @Public(), @Authenticated() or @Roles(...)' },
    schema: [],
    messages: {
      missing: 'Handler "{{name}}" declares no access rule: add @Public(), @Authenticated() or @Roles(...).',
    },
  },
  create(context) {
    return {
      ClassDeclaration(node) {
        const classDecorators = names(node);
        if (!classDecorators.includes('Controller')) return;
        if (classDecorators.some((name) => ACCESS_RULES.has(name))) return;
        for (const member of node.body.body) {
          if (member.type !== 'MethodDefinition') continue;
          const decorators = names(member);
          if (!decorators.some((name) => HTTP_METHODS.has(name))) continue;
          if (decorators.some((name) => ACCESS_RULES.has(name))) continue;
          context.report({
            node: member.key,
            messageId: 'missing',
            data: { name: member.key.type === 'Identifier' ? member.key.name : '(computed)' },
          });
        }
      },
    };
  },
};
